package io.edgestack.proxy.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

/** Reads a multipart/byteranges answer part by part, as RFC 9110 §14.6 lays it out, and checks each part. */
public final class MultipartAnswers {

    private MultipartAnswers() {
    }

    /** {@code type}: each part's Content-Type, null when the parts have none. */
    public static void assertMultipart(io.restassured.response.Response answer, String type, long size, String[] ranges,
            String[] parts) {
        answer.then().statusCode(206).header("Content-Range", (String) null);
        String contentType = answer.header("Content-Type");
        assertTrue(contentType.startsWith("multipart/byteranges; boundary="), contentType);
        String boundary = contentType.substring(contentType.indexOf('=') + 1);
        byte[] raw = answer.asByteArray();
        assertEquals(Long.parseLong(answer.header("Content-Length")), raw.length);
        String body = new String(raw, StandardCharsets.ISO_8859_1);
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < ranges.length; i++) {
            expected.append(i == 0 ? "" : "\r\n").append("--").append(boundary)
                    .append(type == null ? "" : "\r\nContent-Type: " + type)
                    .append("\r\nContent-Range: bytes ").append(ranges[i]).append('/').append(size).append("\r\n\r\n").append(parts[i]);
        }
        expected.append("\r\n--").append(boundary).append("--\r\n");
        assertTrue(expected.toString().equals(body), "multipart answer as laid out: "
                + (body.length() > 600 ? body.substring(0, 600) : body));
    }
}
