package io.edgestack.proxy.files;

/**
 * A single byte range of a representation ({@code Range: bytes=...}), resolved against its length.
 */
public record ByteRange(long start, long end) {

    /** What a Range header asks for: serve the whole file, a part of it, or nothing satisfiable (416). */
    public sealed interface Request permits Whole, Part, Unsatisfiable {
    }

    public record Whole() implements Request {
    }

    public record Part(ByteRange range) implements Request {
    }

    public record Unsatisfiable() implements Request {
    }

    public long length() {
        return end - start + 1;
    }

    /**
     * Parses a Range header. Several ranges, other units and malformed values are answered with the whole file, as
     * RFC 9110 allows; a well-formed range entirely past the end is unsatisfiable.
     */
    public static Request parse(String header, long size) {
        if (header == null || !header.startsWith("bytes=") || header.indexOf(',') >= 0) {
            return new Whole();
        }
        String spec = header.substring("bytes=".length()).trim();
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return new Whole();
        }
        try {
            String first = spec.substring(0, dash).trim();
            String last = spec.substring(dash + 1).trim();
            if (first.isEmpty()) {
                if (last.isEmpty()) {
                    return new Whole();
                }
                long suffix = Long.parseLong(last);
                if (suffix <= 0 || size == 0) {
                    return new Unsatisfiable();
                }
                return new Part(new ByteRange(Math.max(0, size - suffix), size - 1));
            }
            long start = Long.parseLong(first);
            long end = last.isEmpty() ? size - 1 : Math.min(Long.parseLong(last), size - 1);
            if (start < 0 || (!last.isEmpty() && Long.parseLong(last) < start)) {
                return new Whole();
            }
            if (start >= size) {
                return new Unsatisfiable();
            }
            return new Part(new ByteRange(start, end));
        } catch (NumberFormatException e) {
            return new Whole();
        }
    }
}
