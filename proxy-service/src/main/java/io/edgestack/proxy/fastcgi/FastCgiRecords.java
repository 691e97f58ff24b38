package io.edgestack.proxy.fastcgi;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import io.vertx.core.buffer.Buffer;

/**
 * The FastCGI 1.0 records a web server sends and reads (the FastCGI specification, Open Market 1996): an 8-byte header
 * (version 1, type, request id, content length, padding length) and up to 65,535 bytes of content. What goes out:
 * {@code BEGIN_REQUEST} (the responder role), {@code PARAMS} (name-value pairs) and {@code STDIN} (the request's body),
 * each stream ended by an empty record. What comes back, read by {@link Reader}: {@code STDOUT} (the CGI answer: head,
 * blank line, body), {@code STDERR} (the script's complaints) and {@code END_REQUEST}.
 */
public final class FastCgiRecords {

    static final int VERSION = 1;
    static final int BEGIN_REQUEST = 1;
    static final int ABORT_REQUEST = 2;
    static final int END_REQUEST = 3;
    static final int PARAMS = 4;
    static final int STDIN = 5;
    static final int STDOUT = 6;
    static final int STDERR = 7;
    static final int RESPONDER = 1;
    static final int MAX_CONTENT = 65_535;
    /** The request of a connection (a connection carries one request at a time). */
    static final int REQUEST_ID = 1;

    private FastCgiRecords() {
    }

    static void header(Buffer out, int type, int length) {
        out.appendByte((byte) VERSION).appendByte((byte) type).appendUnsignedShort(REQUEST_ID)
                .appendUnsignedShort(length).appendByte((byte) 0).appendByte((byte) 0);
    }

    /** FCGI_KEEP_CONN: the server leaves the connection open once it has answered. */
    static final int KEEP_CONN = 1;

    /**
     * BEGIN_REQUEST for the responder role; the server closes the connection once it has answered, unless
     * {@code keepConn}.
     */
    static Buffer begin(boolean keepConn) {
        Buffer out = Buffer.buffer(16);
        header(out, BEGIN_REQUEST, 8);
        out.appendUnsignedShort(RESPONDER).appendByte((byte) (keepConn ? KEEP_CONN : 0)).appendBytes(new byte[5]);
        return out;
    }

    /**
     * The PARAMS stream: every pair, in records of at most 65,535 bytes, then the empty record that ends it. Names and
     * values are byte strings, one character per byte ({@link FastCgiExchange#params}).
     */
    static Buffer params(Map<String, String> params) {
        Buffer pairs = Buffer.buffer(1024);
        params.forEach((name, value) -> {
            byte[] n = name.getBytes(StandardCharsets.ISO_8859_1);
            byte[] v = value.getBytes(StandardCharsets.ISO_8859_1);
            length(pairs, n.length);
            length(pairs, v.length);
            pairs.appendBytes(n).appendBytes(v);
        });
        Buffer out = stream(PARAMS, pairs);
        header(out, PARAMS, 0);
        return out;
    }

    /** A piece of the request's body as STDIN records (empty: nothing). */
    static Buffer stdin(Buffer body) {
        return stream(STDIN, body);
    }

    /** The empty STDIN record: the body is over. */
    static Buffer endOfStdin() {
        Buffer out = Buffer.buffer(8);
        header(out, STDIN, 0);
        return out;
    }

    private static Buffer stream(int type, Buffer content) {
        Buffer out = Buffer.buffer(content.length() + 8 * (content.length() / MAX_CONTENT + 1));
        for (int at = 0; at < content.length(); at += MAX_CONTENT) {
            int length = Math.min(MAX_CONTENT, content.length() - at);
            header(out, type, length);
            out.appendBuffer(content, at, length);
        }
        return out;
    }

    /** A name's or value's length: one byte below 128, else four with the high bit set. */
    private static void length(Buffer out, int length) {
        if (length < 128) {
            out.appendByte((byte) length);
        } else {
            out.appendInt(length | 0x80000000);
        }
    }

    /** Reads the records the FastCGI server sends, in whatever pieces the socket gives them. */
    static final class Reader {

        interface Listener {
            void stdout(Buffer content);

            void stderr(Buffer content);

            /** END_REQUEST: the script's exit status and the protocol status (0: complete). */
            void end(long appStatus, int protocolStatus);
        }

        private final Listener listener;
        private Buffer pending = Buffer.buffer();

        Reader(Listener listener) {
            this.listener = listener;
        }

        /** @throws IllegalStateException bytes that are not FastCGI records (the message says what is wrong) */
        void feed(Buffer data) {
            // the socket's buffer is read, never written to; what is left of it is copied into a buffer of our own
            Buffer pending = this.pending.length() == 0 ? data : this.pending.appendBuffer(data);
            int at = 0;
            while (pending.length() - at >= 8) {
                int version = pending.getUnsignedByte(at);
                int type = pending.getUnsignedByte(at + 1);
                int length = pending.getUnsignedShort(at + 4);
                int padding = pending.getUnsignedByte(at + 6);
                if (version != VERSION) {
                    throw new IllegalStateException("not a FastCGI record (version " + version + "): is this a FastCGI server?");
                }
                if (pending.length() - at < 8 + length + padding) {
                    break;
                }
                Buffer content = pending.slice(at + 8, at + 8 + length);
                at += 8 + length + padding;
                switch (type) {
                    case STDOUT -> {
                        if (length > 0) {
                            listener.stdout(content.copy());
                        }
                    }
                    case STDERR -> {
                        if (length > 0) {
                            listener.stderr(content.copy());
                        }
                    }
                    case END_REQUEST -> {
                        if (length < 8) {
                            throw new IllegalStateException("an END_REQUEST record of " + length + " bytes");
                        }
                        this.pending = Buffer.buffer();
                        listener.end(content.getUnsignedInt(0), content.getUnsignedByte(4));
                        return;
                    }
                    default -> {
                        // GET_VALUES_RESULT, UNKNOWN_TYPE: nothing this server asked about
                    }
                }
            }
            this.pending = pending.getBuffer(at, pending.length());
        }
    }
}
