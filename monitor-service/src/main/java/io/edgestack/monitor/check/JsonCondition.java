package io.edgestack.monitor.check;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The small JSON-path condition of HTTP checks: {@code $.a.b[0].c == value} or {@code != value}; the value compares
 * to the field's text (so {@code $.ok == true} and {@code $.count == 3} work). Returns null when it holds, else why not.
 */
public final class JsonCondition {

    private JsonCondition() {
    }

    public static String failure(String condition, String body) {
        int op = condition.indexOf("==") >= 0 ? condition.indexOf("==") : condition.indexOf("!=");
        boolean equals = condition.startsWith("==", op);
        String path = condition.substring(0, op).trim();
        String expected = condition.substring(op + 2).trim();
        if (expected.length() >= 2 && expected.startsWith("\"") && expected.endsWith("\"")) {
            expected = expected.substring(1, expected.length() - 1);
        }
        Object value;
        try {
            value = Json.decodeValue(body);
        } catch (DecodeException e) {
            return "the body is not JSON";
        }
        for (String step : path.substring(1).split("(?=[.\\[])")) {
            if (step.isEmpty()) {
                continue;
            }
            if (step.startsWith(".") && value instanceof JsonObject object) {
                value = object.getValue(step.substring(1));
            } else if (step.startsWith("[") && value instanceof JsonArray array) {
                int index = Integer.parseInt(step.substring(1, step.length() - 1));
                value = index < array.size() ? array.getValue(index) : null;
            } else {
                value = null;
            }
            if (value == null) {
                return path + " is missing";
            }
        }
        String actual = String.valueOf(value);
        boolean same = actual.equals(expected);
        if (same == equals) {
            return null;
        }
        return path + " is " + abbreviate(actual) + (equals ? ", expected " : ", must not be ") + expected;
    }

    private static String abbreviate(String text) {
        return text.length() <= 80 ? text : text.substring(0, 79) + "…";
    }
}
