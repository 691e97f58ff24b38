package io.edgestack.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import io.vertx.core.MultiMap;

class HopByHopTest {

    private static MultiMap headers(String... namesAndValues) {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            headers.add(namesAndValues[i], namesAndValues[i + 1]);
        }
        return headers;
    }

    private static List<String> names(MultiMap headers) {
        return headers.names().stream().map(String::toLowerCase).sorted().collect(Collectors.toList());
    }

    @Test
    void removesEveryHeaderTheConnectionHeaderNamesWithSpacesAndEmptyNames() {
        MultiMap headers = headers("Connection", " X-Trace ,, close,x-other,", "X-Trace", "1", "X-Other", "2",
                "X-Kept", "3", "Keep-Alive", "timeout=5", "Content-Type", "text/html");
        HopByHop.strip(headers);
        assertEquals(List.of("content-type", "x-kept"), names(headers));
    }

    @Test
    void aSingleNameIsRemovedAsWell() {
        MultiMap headers = headers("Connection", "X-Trace", "X-Trace", "1", "X-Kept", "3");
        HopByHop.strip(headers);
        assertEquals(List.of("x-kept"), names(headers));
    }

    @Test
    void keepAliveUpgradeAndProxyConnectionGoEvenWithoutAConnectionHeader() {
        MultiMap headers = headers("Keep-Alive", "timeout=5", "Upgrade", "h2c", "Proxy-Connection", "keep-alive",
                "Accept", "*/*");
        HopByHop.strip(headers);
        assertEquals(List.of("accept"), names(headers));
    }

    @Test
    void theConnectionHeaderCanBeGivenWhenAlreadyTakenOut() {
        MultiMap headers = headers("X-Trace", "1", "X-Kept", "3");
        HopByHop.strip(headers, "keep-alive, X-Trace");
        assertEquals(List.of("x-kept"), names(headers));
    }
}
