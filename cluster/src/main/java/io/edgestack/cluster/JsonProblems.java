package io.edgestack.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;

/** What to tell a client whose request body Jackson could not read, for the services' problem answers. */
public final class JsonProblems {

    private JsonProblems() {
    }

    /**
     * "The body is not valid JSON: Unexpected character ('b' ...) (line 1, column 2)" for a Jackson error (or "The body's
     * JSON does not fit: Cannot deserialize value of type ..." for JSON of another shape), found as
     * {@code error} or its cause (Quarkus REST wraps a parse error in a 400 with no body); null for anything else.
     */
    public static String detail(Throwable error) {
        JsonProcessingException json = error instanceof JsonProcessingException direct ? direct
                : error != null && error.getCause() instanceof JsonProcessingException cause ? cause : null;
        if (json == null) {
            return null;
        }
        String message = json.getOriginalMessage() == null ? json.getClass().getSimpleName() : json.getOriginalMessage();
        int source = message.indexOf(" at [Source");
        message = (source > 0 ? message.substring(0, source) : message).replaceAll("\\s+", " ").trim();
        String what = json instanceof com.fasterxml.jackson.core.exc.StreamReadException ? "The body is not valid JSON: "
                : "The body's JSON does not fit: ";
        return what + message + (json.getLocation() == null ? ""
                : " (line " + json.getLocation().getLineNr() + ", column " + json.getLocation().getColumnNr() + ")");
    }
}
