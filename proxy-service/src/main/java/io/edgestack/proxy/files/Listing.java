package io.edgestack.proxy.files;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

import io.edgestack.proxy.http.ErrorPages;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * A folder's listing for a static route with {@code browse: true}, as Caddy's {@code file_server browse}: an HTML page
 * (names escaped, links percent-encoded, sizes and times in UTC), or JSON for a client that asks for it.
 */
final class Listing {

    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneOffset.UTC);

    private Listing() {
    }

    static Buffer html(String path, List<ReleaseFiles.Entry> entries) {
        String title = ErrorPages.escape(path);
        StringBuilder out = new StringBuilder(512 + entries.size() * 160)
                .append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Index of ").append(title)
                .append("</title>\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<style>")
                .append("body{font:15px/1.5 system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;color:#222}")
                .append("table{width:100%;border-collapse:collapse}td,th{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #eee}")
                .append("td.n{text-align:right;font-variant-numeric:tabular-nums}a{text-decoration:none}</style></head>\n<body><h1>Index of ")
                .append(title).append("</h1>\n<table>\n<thead><tr><th>name</th><th>size</th><th>modified (UTC)</th></tr></thead>\n<tbody>\n");
        if (!path.equals("/")) {
            out.append("<tr><td><a href=\"../\">../</a></td><td></td><td></td></tr>\n");
        }
        for (ReleaseFiles.Entry entry : entries) {
            String name = entry.name() + (entry.folder() ? "/" : "");
            out.append("<tr><td><a href=\"").append(ErrorPages.escape(encode(entry.name()) + (entry.folder() ? "/" : ""))).append("\">")
                    .append(ErrorPages.escape(name)).append("</a></td><td class=\"n\">").append(entry.folder() ? "" : human(entry.size()))
                    .append("</td><td>").append(WHEN.format(Instant.ofEpochMilli(entry.modifiedMillis()))).append("</td></tr>\n");
        }
        out.append("</tbody>\n</table>\n</body></html>\n");
        return Buffer.buffer(out.toString());
    }

    static Buffer json(String path, List<ReleaseFiles.Entry> entries) {
        JsonArray items = new JsonArray();
        for (ReleaseFiles.Entry entry : entries) {
            items.add(new JsonObject().put("name", entry.name()).put("folder", entry.folder())
                    .put("size", entry.folder() ? null : entry.size())
                    .put("modified", Instant.ofEpochMilli(entry.modifiedMillis()).toString())
                    .put("url", path + encode(entry.name()) + (entry.folder() ? "/" : "")));
        }
        return new JsonObject().put("path", path).put("entries", items).toBuffer();
    }

    /** A name as one path segment of a URL: what RFC 3986 allows in a segment stays, the rest percent-encoded. */
    static String encode(String name) {
        StringBuilder out = new StringBuilder(name.length() + 8);
        for (byte b : name.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "-._~!$&'()*+,;=:@".indexOf(c) >= 0) {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }

    private static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        double value = bytes;
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", value, units[unit]);
    }
}
