package io.edgestack.cluster;

import java.nio.charset.StandardCharsets;
import java.util.List;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

/**
 * The standard gRPC health service ({@code grpc.health.v1.Health/Check}), as Kubernetes' gRPC probes, Envoy's gRPC
 * health checks and {@code grpc_health_probe} call it: the request and the answer's serving status, in protobuf
 * written and read by hand (one string field out, one enum field back), for proxy-service's active health checks of
 * {@code h2c://} pools and monitor-service's {@code grpc} checks.
 */
public final class GrpcHealth {

    /** The method's path. */
    public static final String PATH = "/grpc.health.v1.Health/Check";
    /** {@code HealthCheckResponse.ServingStatus}: the one that means up. */
    public static final int SERVING = 1;

    /** gRPC's status codes by number, as servers send them in {@code grpc-status}. */
    private static final List<String> CODES = List.of("OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT",
            "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
            "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
            "UNAUTHENTICATED");
    /** The serving statuses of {@code HealthCheckResponse}, by number. */
    private static final List<String> STATUSES = List.of("UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN");

    private GrpcHealth() {
    }

    /** What one health answer said: whether the server serves, and in words (a log line's, a check summary's). */
    public record Verdict(boolean serving, String said) {
    }

    /** The call of the health method on {@code host:port}: as gRPC clients send it, with a deadline of the timeout. */
    public static RequestOptions options(String host, int port, long timeoutMillis, String userAgent) {
        return new RequestOptions().setMethod(HttpMethod.POST).setHost(host).setPort(port).setURI(PATH)
                .setConnectTimeout(timeoutMillis).putHeader("content-type", "application/grpc").putHeader("te", "trailers")
                .putHeader("grpc-timeout", timeoutMillis + "m").putHeader("user-agent", userAgent);
    }

    /**
     * The verdict on a health answer whose body has been read: SERVING, another status, a gRPC error (with the server's
     * {@code grpc-message}; {@code UNIMPLEMENTED} said as the server having no health service), an HTTP status other than
     * 200, or a body that is not one {@code HealthCheckResponse}.
     */
    public static Verdict verdict(HttpClientResponse response, Buffer body) {
        if (response.statusCode() != 200) {
            return new Verdict(false, "HTTP " + response.statusCode() + " where a gRPC server answers 200");
        }
        String status = field(response, "grpc-status");
        if (status == null) {
            return new Verdict(false, "the answer has no grpc-status (not a gRPC server?)");
        }
        if (!status.trim().equals("0")) {
            String name = codeName(status);
            String message = field(response, "grpc-message");
            return new Verdict(false, "gRPC " + name + (message == null ? "" : " (" + percentDecoded(message) + ")")
                    + (name.equals("UNIMPLEMENTED") ? ": the server has no health service (grpc.health.v1)" : ""));
        }
        try {
            int serving = servingStatus(body);
            return new Verdict(serving == SERVING, statusName(serving));
        } catch (IllegalArgumentException e) {
            return new Verdict(false, e.getMessage());
        }
    }

    /** {@code grpc-message} is percent-encoded UTF-8. */
    private static String percentDecoded(String text) {
        try {
            return java.net.URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return text;
        }
    }

    /**
     * The request body: one uncompressed gRPC message holding {@code HealthCheckRequest} (field 1, the service's name;
     * nothing for {@code ""}, the server as a whole).
     */
    public static Buffer request(String service) {
        byte[] name = service.getBytes(StandardCharsets.UTF_8);
        Buffer message = Buffer.buffer(name.length + 6);
        if (name.length > 0) {
            message.appendByte((byte) 0x0a);
            appendVarint(message, name.length);
            message.appendBytes(name);
        }
        return frame(message);
    }

    /** One gRPC message on the wire: not compressed, its length, the message. */
    public static Buffer frame(Buffer message) {
        return Buffer.buffer(5 + message.length()).appendByte((byte) 0).appendInt(message.length()).appendBuffer(message);
    }

    /** A field gRPC sends in the trailers, or in the headers of a trailers-only answer (its errors). */
    private static String field(HttpClientResponse response, String name) {
        String value = response.trailers().get(name);
        return value != null ? value : response.getHeader(name);
    }

    /** {@code grpc-status}'s name ({@code UNIMPLEMENTED}), or "code N" for one gRPC does not define. */
    static String codeName(String grpcStatus) {
        int code;
        try {
            code = Integer.parseInt(grpcStatus.trim());
        } catch (NumberFormatException e) {
            code = -1;
        }
        return code >= 0 && code < CODES.size() ? CODES.get(code) : "code " + grpcStatus;
    }

    /** A serving status's name ({@code NOT_SERVING}). */
    static String statusName(int status) {
        return status >= 0 && status < STATUSES.size() ? STATUSES.get(status) : "status " + status;
    }

    /**
     * The {@code status} (field 1) of the one {@code HealthCheckResponse} in a gRPC body; 0 (UNKNOWN) when the message
     * leaves it out, as protobuf does for a field at its default; fields it does not know are skipped.
     *
     * @throws IllegalArgumentException when the body is not one uncompressed gRPC message of that shape
     */
    public static int servingStatus(Buffer body) {
        if (body.length() < 5) {
            throw new IllegalArgumentException("the answer holds no gRPC message (" + body.length() + " bytes)");
        }
        if (body.getByte(0) != 0) {
            throw new IllegalArgumentException("the answer's message is compressed, which was not asked for");
        }
        long length = body.getUnsignedInt(1);
        if (length != body.length() - 5) {
            throw new IllegalArgumentException("the answer's message says " + length + " bytes, " + (body.length() - 5)
                    + " came");
        }
        int at = 5;
        int status = 0;
        while (at < body.length()) {
            long[] key = varint(body, at);
            at = (int) key[1];
            int field = (int) (key[0] >>> 3);
            int wire = (int) (key[0] & 7);
            switch (wire) {
                case 0 -> {
                    long[] value = varint(body, at);
                    at = (int) value[1];
                    if (field == 1) {
                        status = (int) value[0];
                    }
                }
                case 1 -> at += 8;
                case 2 -> {
                    long[] size = varint(body, at);
                    at = (int) Math.min(Integer.MAX_VALUE, size[1] + size[0]);
                }
                case 5 -> at += 4;
                default -> throw new IllegalArgumentException("the answer is not a HealthCheckResponse (wire type " + wire + ")");
            }
            if (at > body.length()) {
                throw new IllegalArgumentException("the answer's message is cut short");
            }
        }
        return status;
    }

    private static void appendVarint(Buffer out, long value) {
        while ((value & ~0x7FL) != 0) {
            out.appendByte((byte) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.appendByte((byte) value);
    }

    /** A protobuf varint at {@code at}: its value and the index after it. */
    private static long[] varint(Buffer body, int at) {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (at >= body.length()) {
                throw new IllegalArgumentException("the answer's message is cut short");
            }
            byte b = body.getByte(at++);
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return new long[] {value, at};
            }
        }
        throw new IllegalArgumentException("the answer's message has a varint over 64 bits");
    }
}
