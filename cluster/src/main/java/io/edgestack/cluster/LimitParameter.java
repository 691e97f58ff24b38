package io.edgestack.cluster;

/**
 * A list API's {@code ?limit=}, read by hand: as a typed JAX-RS parameter, a value that is no number made an empty
 * {@code 404}, as if the path did not exist. Absent or blank → the default; otherwise kept within 1 and the maximum.
 */
public final class LimitParameter {

    private LimitParameter() {
    }

    /**
     * The limit asked for, or an {@link IllegalArgumentException} whose message says what {@code limit} is
     * ({@code what}: the items listed), for a {@code 400}.
     */
    public static int parse(String value, int fallback, int max, String what) {
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            return Math.max(1, Math.min(Integer.parseInt(value.strip()), max));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'limit' is a whole number of " + what + " (at most " + max + "), not '"
                    + (value.length() > 40 ? value.substring(0, 40) + "…" : value) + "'.");
        }
    }
}
