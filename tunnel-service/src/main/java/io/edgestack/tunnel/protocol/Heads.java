package io.edgestack.tunnel.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * Encoding of request heads (OPEN) and response heads (RESPONSE).
 *
 * <pre>
 * request head  = u8 method-length, method, u16 target-length, target, headers
 * response head = u16 status, headers
 * headers       = u16 count, count × (u8 name-length, name, u16 value-length, value)
 * </pre>
 *
 * Decoding checks every length against what is left and every character against HTTP's rules (token names, no CR,
 * LF or NUL in values), so a head that decodes can be written to an HTTP connection as it is.
 */
public final class Heads {

    public static final int MAX_HEADERS = 256;
    public static final int MAX_TARGET = 8192;

    private Heads() {
    }

    public record RequestHead(String method, String target, MultiMap headers) {
    }

    public record ResponseHead(int status, MultiMap headers) {
    }

    /** @throws UncarriableHead when the decoder on the other side would refuse the head (see the class comment) */
    public static Buffer encode(RequestHead head) {
        Buffer out = Buffer.buffer(256);
        byte[] method = head.method().getBytes(StandardCharsets.US_ASCII);
        byte[] target = head.target().getBytes(StandardCharsets.US_ASCII);
        if (method.length == 0 || method.length > 32 || target.length == 0 || target.length > MAX_TARGET) {
            throw new UncarriableHead("request method or target is too long to carry", true);
        }
        if (!isToken(head.method())) {
            throw new UncarriableHead("request method is not an HTTP token", false);
        }
        for (int i = 0; i < head.target().length(); i++) {
            char c = head.target().charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                throw new UncarriableHead("request target has a control, space or non-ASCII character", false);
            }
        }
        out.appendUnsignedByte((short) method.length).appendBytes(method);
        out.appendUnsignedShort(target.length).appendBytes(target);
        appendHeaders(out, head.headers());
        check(out);
        return out;
    }

    /** @throws UncarriableHead when the decoder on the other side would refuse the head (see the class comment) */
    public static Buffer encode(ResponseHead head) {
        if (head.status() < 100 || head.status() > 599) {
            throw new UncarriableHead("response status " + head.status() + " is not 100 to 599", false);
        }
        Buffer out = Buffer.buffer(256);
        out.appendUnsignedShort(head.status());
        appendHeaders(out, head.headers());
        check(out);
        return out;
    }

    /**
     * Trailer fields: the {@code headers} of a head alone.
     *
     * @throws UncarriableHead when the decoder on the other side would refuse them
     */
    public static Buffer encodeTrailers(MultiMap trailers) {
        Buffer out = Buffer.buffer(64);
        appendHeaders(out, trailers);
        check(out);
        return out;
    }

    public static MultiMap decodeTrailers(Buffer in) {
        Reader reader = new Reader(in);
        MultiMap fields = reader.headers();
        reader.end();
        return fields;
    }

    private static void check(Buffer out) {
        if (out.length() > Frame.MAX_PAYLOAD) {
            throw new UncarriableHead("head of " + out.length() + " bytes exceeds " + Frame.MAX_PAYLOAD, true);
        }
    }

    private static void appendHeaders(Buffer out, MultiMap headers) {
        int count = 0; // MultiMap.size() counts names; a repeated header (Set-Cookie) is several lines
        for (Map.Entry<String, String> ignored : headers) {
            count++;
        }
        if (count > MAX_HEADERS) {
            throw new UncarriableHead(count + " headers exceed the limit of " + MAX_HEADERS, true);
        }
        out.appendUnsignedShort(count);
        for (Map.Entry<String, String> header : headers) {
            byte[] name = header.getKey().getBytes(StandardCharsets.US_ASCII);
            byte[] value = header.getValue().getBytes(StandardCharsets.ISO_8859_1);
            if (name.length == 0 || name.length > 255 || value.length > 65535) {
                throw new UncarriableHead("header '" + abbreviate(header.getKey()) + "' is too long to carry", true);
            }
            if (!isToken(header.getKey())) {
                throw new UncarriableHead("header name '" + abbreviate(header.getKey()) + "' is not an HTTP token", false);
            }
            for (int i = 0; i < header.getValue().length(); i++) {
                char c = header.getValue().charAt(i);
                if (c == '\r' || c == '\n' || c == 0 || c > 0xff) {
                    throw new UncarriableHead("header " + header.getKey() + " has CR, LF, NUL or a character beyond Latin-1 in its value", false);
                }
            }
            out.appendUnsignedByte((short) name.length).appendBytes(name);
            out.appendUnsignedShort(value.length).appendBytes(value);
        }
    }

    public static RequestHead decodeRequest(Buffer in) {
        Reader reader = new Reader(in);
        String method = reader.token(reader.u8(), "method");
        if (method.isEmpty() || method.length() > 32) {
            throw new ProtocolException("request method must be 1 to 32 characters");
        }
        int targetLength = reader.u16();
        if (targetLength == 0 || targetLength > MAX_TARGET) {
            throw new ProtocolException("request target must be 1 to " + MAX_TARGET + " bytes");
        }
        String target = reader.target(targetLength);
        MultiMap headers = reader.headers();
        reader.end();
        return new RequestHead(method, target, headers);
    }

    public static ResponseHead decodeResponse(Buffer in) {
        Reader reader = new Reader(in);
        int status = reader.u16();
        if (status < 100 || status > 599) {
            throw new ProtocolException("response status " + status + " is not 100 to 599");
        }
        MultiMap headers = reader.headers();
        reader.end();
        return new ResponseHead(status, headers);
    }

    private static final class Reader {
        private final Buffer in;
        private int at;

        Reader(Buffer in) {
            this.in = in;
        }

        private void need(int n, String what) {
            if (n > in.length() - at) {
                throw new ProtocolException("head ends inside " + what + " (" + n + " bytes announced, "
                        + (in.length() - at) + " left)");
            }
        }

        int u8() {
            need(1, "a length");
            return in.getUnsignedByte(at++);
        }

        int u16() {
            need(2, "a length");
            int value = in.getUnsignedShort(at);
            at += 2;
            return value;
        }

        String token(int length, String what) {
            need(length, what);
            for (int i = 0; i < length; i++) {
                if (!isTokenChar(in.getUnsignedByte(at + i))) {
                    throw new ProtocolException(what + " has a character that HTTP does not allow in a token");
                }
            }
            String value = in.getString(at, at + length, "US-ASCII");
            at += length;
            return value;
        }

        String target(int length) {
            need(length, "the request target");
            for (int i = 0; i < length; i++) {
                int c = in.getUnsignedByte(at + i);
                if (c <= 0x20 || c >= 0x7f) {
                    throw new ProtocolException("request target has a control, space or non-ASCII byte");
                }
            }
            String value = in.getString(at, at + length, "US-ASCII");
            at += length;
            return value;
        }

        MultiMap headers() {
            int count = u16();
            if (count > MAX_HEADERS) {
                throw new ProtocolException(count + " headers exceed the limit of " + MAX_HEADERS);
            }
            MultiMap headers = MultiMap.caseInsensitiveMultiMap();
            for (int i = 0; i < count; i++) {
                int nameLength = u8();
                if (nameLength == 0) {
                    throw new ProtocolException("empty header name");
                }
                String name = token(nameLength, "header name");
                int valueLength = u16();
                need(valueLength, "a header value");
                for (int j = 0; j < valueLength; j++) {
                    int c = in.getUnsignedByte(at + j);
                    if (c == '\r' || c == '\n' || c == 0) {
                        throw new ProtocolException("header " + name + " has CR, LF or NUL in its value");
                    }
                }
                headers.add(name, in.getString(at, at + valueLength, "ISO-8859-1"));
                at += valueLength;
            }
            return headers;
        }

        void end() {
            if (at != in.length()) {
                throw new ProtocolException((in.length() - at) + " bytes left over after the head");
            }
        }
    }

    private static String abbreviate(String text) {
        return text.length() > 40 ? text.substring(0, 40) + "..." : text;
    }

    private static boolean isToken(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (!isTokenChar(text.charAt(i))) {
                return false;
            }
        }
        return !text.isEmpty();
    }

    static boolean isTokenChar(int c) {
        if (c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
            return true;
        }
        return switch (c) {
            case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~' -> true;
            default -> false;
        };
    }
}
