package io.edgestack.proxy.files;

import java.util.ArrayList;
import java.util.List;

/**
 * A single byte range of a representation ({@code Range: bytes=...}), resolved against its length.
 */
public record ByteRange(long start, long end) {

    /** Ranges of one request beyond which the whole representation is sent instead (nginx and Go set no such bound). */
    static final int MAX_PARTS = 50;

    /** What a Range header asks for: the whole file, one part of it, several parts, or nothing satisfiable (416). */
    public sealed interface Request permits Whole, Part, Parts, Unsatisfiable {
    }

    public record Whole() implements Request {
    }

    public record Part(ByteRange range) implements Request {
    }

    /** Two ranges or more, in the order asked: a {@code multipart/byteranges} answer ({@link MultipartRanges}). */
    public record Parts(List<ByteRange> ranges) implements Request {
    }

    public record Unsatisfiable() implements Request {
    }

    public long length() {
        return end - start + 1;
    }

    /**
     * Parses a Range header, as Go's file server (so Caddy) does: ranges past the end are dropped, none left is
     * unsatisfiable (416), one left is that part, several are sent as parts of one answer. Other units and malformed
     * values get the whole file, as RFC 9110 allows; so do ranges that add up to more than the file (overlapping ones,
     * RFC 9110 §14.2: a request made to tie the server up) and more than {@value #MAX_PARTS} of them.
     */
    public static Request parse(String header, long size) {
        if (header == null || !header.startsWith("bytes=")) {
            return new Whole();
        }
        String specs = header.substring("bytes=".length());
        if (specs.indexOf(',') < 0) {
            ByteRange one = one(specs, size);
            return one == WHOLE ? new Whole() : one == null ? new Unsatisfiable() : new Part(one);
        }
        List<ByteRange> ranges = new ArrayList<>();
        long total = 0;
        for (String spec : specs.split(",", -1)) {
            if (spec.isBlank()) {
                continue; // RFC 9110 §14.1.1 allows empty list elements
            }
            ByteRange range = one(spec, size);
            if (range == WHOLE) {
                return new Whole();
            }
            if (range != null) {
                ranges.add(range);
                total += range.length();
                if (ranges.size() > MAX_PARTS || total > size) {
                    return new Whole();
                }
            }
        }
        if (ranges.isEmpty()) {
            return new Unsatisfiable();
        }
        return ranges.size() == 1 ? new Part(ranges.get(0)) : new Parts(List.copyOf(ranges));
    }

    /** Marks a malformed range: the whole file is sent. */
    private static final ByteRange WHOLE = new ByteRange(-1, -1);

    /** One range spec resolved: the range, {@link #WHOLE} when malformed, null when past the end. */
    private static ByteRange one(String spec, long size) {
        spec = spec.trim();
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return WHOLE;
        }
        try {
            String first = spec.substring(0, dash).trim();
            String last = spec.substring(dash + 1).trim();
            if (first.isEmpty()) {
                if (last.isEmpty()) {
                    return WHOLE;
                }
                long suffix = Long.parseLong(last);
                if (suffix < 0) {
                    return WHOLE;
                }
                if (suffix == 0 || size == 0) {
                    return null;
                }
                return new ByteRange(Math.max(0, size - suffix), size - 1);
            }
            long start = Long.parseLong(first);
            if (start < 0 || (!last.isEmpty() && Long.parseLong(last) < start)) {
                return WHOLE;
            }
            if (start >= size) {
                return null;
            }
            long end = last.isEmpty() ? size - 1 : Math.min(Long.parseLong(last), size - 1);
            return new ByteRange(start, end);
        } catch (NumberFormatException e) {
            return WHOLE;
        }
    }
}
