package io.edgestack.monitor.status;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Locale;

import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Response;

import io.edgestack.monitor.check.CheckResult;
import io.edgestack.monitor.check.CheckSpec;
import io.edgestack.monitor.schedule.CheckScheduler;
import io.edgestack.monitor.store.MonitorStore;

/**
 * Badges of a check for a README or a wiki, as SVG (public, like the status page): its state now, its uptime over the
 * last days, and the latency of its last run. {@code ?label=} replaces the left-hand text. An unknown check gets a grey
 * "not found" badge with status 404, so that an embedded image never breaks.
 */
@Path("/api/badge/{check}")
@Produces("image/svg+xml")
public class Badges {

    static final String GREEN = "#2e9e44";
    static final String AMBER = "#d4a017";
    static final String RED = "#d9412b";
    static final String GREY = "#8a8f98";

    private final CheckScheduler scheduler;
    private final MonitorStore store;

    public Badges(CheckScheduler scheduler, MonitorStore store) {
        this.scheduler = scheduler;
        this.store = store;
    }

    @GET
    @Path("/status")
    public Response status(@PathParam("check") String check, @QueryParam("label") String label) {
        CheckSpec spec = scheduler.checks().get(check);
        if (spec == null || !spec.statusPage()) {
            return unknown(label);
        }
        String state = CheckResult.state(scheduler.openIncident(check), scheduler.last(check).orElse(null));
        String colour = switch (state) {
            case "up" -> GREEN;
            case "degraded", "failing" -> AMBER;
            case "down" -> RED;
            default -> GREY;
        };
        return badge(label, check, state, colour, 200);
    }

    @GET
    @Path("/uptime")
    public Response uptime(@PathParam("check") String check, @QueryParam("label") String label,
            @QueryParam("days") @DefaultValue("30") String daysParam) {
        CheckSpec spec = scheduler.checks().get(check);
        if (spec == null || !spec.statusPage()) {
            return unknown(label);
        }
        int days;
        try {
            days = Integer.parseInt(daysParam.strip());
        } catch (NumberFormatException e) { // a badge still, as shields.io answers a bad parameter (it was an empty 404)
            return badge(label, "uptime", "invalid days", GREY, 400);
        }
        int span = Math.max(1, Math.min(days, 90)); // what the store keeps by the day
        LocalDate first = LocalDate.now(ZoneOffset.UTC).minusDays(span - 1);
        long total = 0;
        long ok = 0;
        for (MonitorStore.Day day : store.days(check, first.atStartOfDay(ZoneOffset.UTC).toInstant())) {
            total += day.total();
            ok += day.ok();
        }
        String text;
        String colour;
        if (total == 0) {
            text = "no data";
            colour = GREY;
        } else {
            double ratio = (double) ok / total;
            text = String.format(Locale.ROOT, "%.2f%%", Math.floor(ratio * 10000) / 100); // never rounded up to 100 %
            colour = ratio >= 0.999 ? GREEN : ratio >= 0.99 ? AMBER : RED;
        }
        return badge(label, "uptime " + span + "d", text, colour, 200);
    }

    @GET
    @Path("/response")
    public Response response(@PathParam("check") String check, @QueryParam("label") String label) {
        CheckSpec spec = scheduler.checks().get(check);
        if (spec == null || !spec.statusPage()) {
            return unknown(label);
        }
        CheckResult last = scheduler.last(check).orElse(null);
        if (last == null) {
            return badge(label, "response", "pending", GREY, 200);
        }
        long limit = spec.maxLatency() == null ? Long.MAX_VALUE : spec.maxLatency().toMillis();
        String colour = !last.ok() ? RED : last.latencyMs() > limit ? AMBER : GREEN;
        return badge(label, "response", last.ok() ? last.latencyMs() + " ms" : "failing", colour, 200);
    }

    private static Response unknown(String label) {
        return badge(label, "check", "not found", GREY, 404);
    }

    private static Response badge(String label, String fallbackLabel, String value, String colour, int status) {
        String left = label == null || label.isBlank() ? fallbackLabel : label.strip();
        return Response.status(status).entity(svg(left, value, colour)).type("image/svg+xml")
                .header("Cache-Control", "no-cache, max-age=0").header("X-Content-Type-Options", "nosniff").build();
    }

    /** A flat two-part badge; texts are clipped to 40 characters and escaped, widths estimated per character. */
    static String svg(String label, String value, String colour) {
        String left = escape(clip(label));
        String right = escape(clip(value));
        int leftWidth = width(clip(label));
        int rightWidth = width(clip(value));
        int total = leftWidth + rightWidth;
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + total + "\" height=\"20\" role=\"img\" aria-label=\""
                + left + ": " + right + "\"><title>" + left + ": " + right + "</title>"
                + "<rect width=\"" + leftWidth + "\" height=\"20\" fill=\"#555\"/>"
                + "<rect x=\"" + leftWidth + "\" width=\"" + rightWidth + "\" height=\"20\" fill=\"" + colour + "\"/>"
                + "<g fill=\"#fff\" text-anchor=\"middle\" font-family=\"Verdana,DejaVu Sans,sans-serif\" font-size=\"11\">"
                + "<text x=\"" + leftWidth / 2.0 + "\" y=\"14\">" + left + "</text>"
                + "<text x=\"" + (leftWidth + rightWidth / 2.0) + "\" y=\"14\">" + right + "</text></g></svg>";
    }

    private static String clip(String text) {
        return text.length() <= 40 ? text : text.substring(0, 39) + "…";
    }

    private static int width(String text) {
        return 10 + (int) Math.ceil(text.codePointCount(0, text.length()) * 6.8);
    }

    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> {
                    if (c >= 0x20 && c != 0x7f) {
                        out.appendCodePoint(c);
                    }
                }
            }
        });
        return out.toString();
    }
}
