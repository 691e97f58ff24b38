package io.edgestack.monitor.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class JsonConditionTest {

    private static final String BODY = "{\"status\":\"ok\",\"db\":{\"up\":true,\"replicas\":[{\"lag\":3}]},\"count\":12}";

    @Test
    void holdsOrSaysWhyNot() {
        assertNull(JsonCondition.failure("$.status == ok", BODY));
        assertNull(JsonCondition.failure("$.status == \"ok\"", BODY));
        assertNull(JsonCondition.failure("$.db.up == true", BODY));
        assertNull(JsonCondition.failure("$.db.replicas[0].lag == 3", BODY));
        assertNull(JsonCondition.failure("$.count != 0", BODY));
        assertEquals("$.status is ok, must not be ok", JsonCondition.failure("$.status != ok", BODY));
        assertEquals("$.db.up is true, expected false", JsonCondition.failure("$.db.up == false", BODY));
        assertEquals("$.db.missing is missing", JsonCondition.failure("$.db.missing == 1", BODY));
        assertEquals("$.db.replicas[4].lag is missing", JsonCondition.failure("$.db.replicas[4].lag == 1", BODY));
        assertEquals("the body is not JSON", JsonCondition.failure("$.status == ok", "<html>"));
    }
}
