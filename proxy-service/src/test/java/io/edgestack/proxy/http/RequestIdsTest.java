package io.edgestack.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

class RequestIdsTest {

    @Test
    void aGeneratedIdIs32LowerCaseHexDigitsOfTheRandomBits() {
        Random random = new Random(42);
        long high = random.nextLong();
        long low = random.nextLong();
        String expected = String.format("%016x%016x", high, low);
        assertEquals(expected, RequestIds.generate(new Random(42)));
    }

    @Test
    void generatedIdsDiffer() {
        Set<String> ids = new HashSet<>();
        Random random = new Random();
        for (int i = 0; i < 10_000; i++) {
            String id = RequestIds.generate(random);
            assertTrue(id.matches("[0-9a-f]{32}"), id);
            ids.add(id);
        }
        assertEquals(10_000, ids.size());
    }
}
