package io.edgestack.monitor.check;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.vertx.core.buffer.Buffer;

/**
 * The few pieces of the Redis protocol (RESP) a redis check needs: a command as the array of bulk strings a client
 * sends, and the server's replies read back as they arrive, in whatever pieces the socket gives them. A reply is kept
 * as written after its type byte: {@code +PONG}, {@code -WRONGPASS invalid username-password pair}, {@code :1},
 * {@code $value} ({@code $} alone for a null bulk string), {@code *n} for an array (its elements read and dropped).
 */
final class RedisReplies {

    /** More than any answer to AUTH, SELECT and PING: the peer is not a Redis server, or not answering those. */
    private static final int LIMIT = 64 * 1024;

    private Buffer pending = Buffer.buffer();
    private final List<String> all = new ArrayList<>();

    static Buffer command(List<String> words) {
        Buffer out = Buffer.buffer().appendString("*" + words.size() + "\r\n");
        for (String word : words) {
            byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
            out.appendString("$" + bytes.length + "\r\n").appendBytes(bytes).appendString("\r\n");
        }
        return out;
    }

    /**
     * Takes the next bytes from the server; returns every reply complete so far (from the first one on).
     *
     * @throws IllegalStateException the bytes are not Redis replies (the message says what came instead)
     */
    List<String> feed(Buffer data) {
        pending.appendBuffer(data);
        List<String> replies = new ArrayList<>();
        int[] at = {0};
        while (true) {
            int before = at[0];
            String reply = reply(at);
            if (reply == null) {
                at[0] = before;
                break;
            }
            replies.add(reply);
        }
        if (pending.length() - at[0] > LIMIT) {
            throw new IllegalStateException("an answer of more than " + LIMIT + " bytes: not a Redis server?");
        }
        all.addAll(replies);
        pending = pending.getBuffer(at[0], pending.length());
        return List.copyOf(all);
    }

    /** The reply that starts at {@code at[0]}, moving it past the reply; null while the reply is incomplete. */
    private String reply(int[] at) {
        String line = line(at);
        if (line == null) {
            return null;
        }
        if (line.isEmpty()) {
            throw new IllegalStateException("an empty line where a reply was expected: not a Redis server?");
        }
        char type = line.charAt(0);
        switch (type) {
            case '+', '-', ':' -> {
                return line;
            }
            case '$' -> {
                int length = number(line);
                if (length < 0) {
                    return "$";
                }
                if (pending.length() < at[0] + length + 2) {
                    return null;
                }
                String value = pending.getString(at[0], at[0] + length, "UTF-8");
                at[0] += length + 2;
                return "$" + value;
            }
            case '*' -> {
                int count = number(line);
                for (int i = 0; i < count; i++) {
                    if (reply(at) == null) {
                        return null;
                    }
                }
                return line;
            }
            default -> {
                String shown = line.length() > 80 ? line.substring(0, 80) + "…" : line;
                throw new IllegalStateException("not a Redis server: it answered '" + shown.replaceAll("\\p{Cntrl}", "?") + "'");
            }
        }
    }

    private static int number(String line) {
        try {
            return Integer.parseInt(line.substring(1));
        } catch (NumberFormatException e) {
            throw new IllegalStateException("not a Redis server: '" + line + "' is not a length");
        }
    }

    /** The line that starts at {@code at[0]} without its CRLF, moving past it; null when no CRLF has come yet. */
    private String line(int[] at) {
        for (int i = at[0]; i + 1 < pending.length(); i++) {
            if (pending.getByte(i) == '\r' && pending.getByte(i + 1) == '\n') {
                String line = pending.getString(at[0], i, "UTF-8");
                at[0] = i + 2;
                return line;
            }
        }
        if (pending.length() - at[0] > LIMIT) {
            throw new IllegalStateException("a line of more than " + LIMIT + " bytes: not a Redis server?");
        }
        return null;
    }
}
