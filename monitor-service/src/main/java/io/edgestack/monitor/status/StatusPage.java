package io.edgestack.monitor.status;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import io.edgestack.monitor.alert.Maintenance;
import io.edgestack.monitor.check.CheckResult;
import io.edgestack.monitor.check.CheckSpec;
import io.edgestack.monitor.schedule.CheckScheduler;
import io.edgestack.monitor.store.MonitorStore;
import io.edgestack.monitor.tunnel.Tunnels;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;

/**
 * The public status page, {@code GET /} (and {@code /status}): server-rendered, no asset from anywhere else. Its title
 * and description, the announcements, each check's state (in sections by {@code group}), 90 daily uptime bars, a
 * response-time chart as inline SVG, the incident history, and a banner while a maintenance window (a deploy) is open. The same data is {@code GET /api/status} as JSON.
 */
@Path("/")
public class StatusPage {

    static final int DAYS = 90;
    static final int CHART_POINTS = 60;
    static final int CHART_WIDTH = 600;
    static final int CHART_HEIGHT = 60;

    private final CheckScheduler scheduler;
    private final MonitorStore store;
    private final Maintenance maintenance;
    private final Tunnels tunnels;

    private final io.edgestack.monitor.config.MonitorConfig.StatusPage page;

    public StatusPage(CheckScheduler scheduler, MonitorStore store, Maintenance maintenance, Tunnels tunnels,
            io.edgestack.monitor.config.MonitorConfig config) {
        this.page = config.status();
        this.tunnels = tunnels;
        this.scheduler = scheduler;
        this.store = store;
        this.maintenance = maintenance;
    }

    /** One bar: a UTC day, its CSS class (up, partial, down, none) and its tooltip. */
    public record Bar(String css, String title) {
    }

    /** One check as shown. */
    public record CheckView(String name, String target, String state, String uptime, List<Bar> bars, String points,
            String latency, String summary) {
    }

    /** A section of checks: those of one {@code group} (null: those without one). */
    public record GroupView(String name, List<CheckView> checks) {
    }

    /** An announcement as shown. */
    public record AnnouncementView(String title, String body, String style, String posted) {
    }

    /** An incident as shown. */
    public record IncidentView(String check, String started, String duration, String cause, String summary, boolean open,
            String note, String layer) {
    }

    @CheckedTemplate
    static class Templates {
        static native TemplateInstance status(String title, String description, String overall, String overallCss,
                List<AnnouncementView> announcements, List<String> banners, List<GroupView> groups, List<IncidentView> incidents,
                String updated);
    }

    @GET
    @Produces(MediaType.TEXT_HTML)
    public TemplateInstance page() {
        return render();
    }

    @GET
    @Path("/status")
    @Produces(MediaType.TEXT_HTML)
    public TemplateInstance status() {
        return render();
    }

    private TemplateInstance render() {
        List<CheckView> checks = new ArrayList<>();
        Map<String, List<CheckView>> grouped = new java.util.TreeMap<>(Comparator.nullsFirst(Comparator.naturalOrder()));
        int down = 0;
        int degraded = 0;
        for (CheckSpec spec : scheduler.checks().values().stream().filter(CheckSpec::statusPage)
                .sorted(Comparator.comparing(CheckSpec::name)).toList()) {
            CheckView view = view(spec);
            grouped.computeIfAbsent(spec.group(), g -> new ArrayList<>()).add(view);
            if (view.state().equals("down")) {
                down++;
            } else if (view.state().equals("degraded")) {
                degraded++;
            }
            checks.add(view);
        }
        List<String> banners = new ArrayList<>();
        for (Maintenance.Window window : maintenance.open()) {
            if (window.id().startsWith("maintenance-") && window.site() != null) {
                // bin/edgestack maintenance: the site shows its visitors this message until someone ends it
                banners.add("Maintenance on " + window.site() + (window.reason() == null ? "" : ": " + window.reason()));
                continue;
            }
            banners.add((window.reason() == null ? "Maintenance" : capitalise(window.reason())) + " in progress"
                    + (window.site() == null ? "" : " on " + window.site()) + ", until "
                    + window.end().atZone(ZoneOffset.UTC).toLocalTime().withNano(0) + " UTC");
        }
        for (Tunnels.Down tunnel : tunnels.down()) {
            banners.add(capitalise(tunnel.describe()) + ": visitors through it are not served");
        }
        for (CheckScheduler.Watch watch : scheduler.watches().values()) {
            banners.add("Deploy of " + watch.site() + (watch.release() == null ? "" : " (release " + watch.release() + ")")
                    + " is being watched until " + watch.until().atZone(ZoneOffset.UTC).toLocalTime().withNano(0) + " UTC");
        }
        List<IncidentView> incidents = store.incidents(null, 40).stream().filter(i -> {
            CheckSpec spec = scheduler.checks().get(i.check());
            return spec == null || spec.statusPage();
        }).limit(20).map(i -> new IncidentView(i.check(),
                i.startedAt().atZone(ZoneOffset.UTC).toLocalDateTime().withNano(0).toString().replace('T', ' ') + " UTC",
                i.endedAt() == null ? "ongoing, " + human(Duration.between(i.startedAt(), Instant.now()).toSeconds())
                        : human(i.durationSeconds()),
                i.cause(), i.summary(), i.endedAt() == null, i.note(), i.layer())).toList();
        String stale = degraded + " served from the cache, origin failing";
        String overall = checks.isEmpty() ? "No checks configured"
                : down > 0 ? down + " of " + checks.size() + " checks down" + (degraded > 0 ? "; " + stale : "")
                : degraded > 0 ? "Degraded: " + stale : "All systems operational";
        String css = checks.isEmpty() ? "none" : down > 0 ? "down" : degraded > 0 ? "partial" : "up";
        List<GroupView> groups = grouped.entrySet().stream().map(g -> new GroupView(g.getKey(), g.getValue())).toList();
        List<AnnouncementView> announcements = store.announcements().stream().map(a -> new AnnouncementView(a.title(), a.body(),
                a.style(), a.createdAt().atZone(ZoneOffset.UTC).toLocalDateTime().withNano(0).toString().replace('T', ' ') + " UTC"))
                .toList();
        return Templates.status(page.title(), page.description().orElse(null), overall, css, announcements, banners, groups,
                incidents, Instant.now().atZone(ZoneOffset.UTC).toLocalTime().withNano(0) + " UTC");
    }

    private CheckView view(CheckSpec spec) {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        LocalDate first = today.minusDays(DAYS - 1);
        Map<LocalDate, MonitorStore.Day> days = new HashMap<>();
        long total = 0;
        long ok = 0;
        for (MonitorStore.Day day : store.days(spec.name(), first.atStartOfDay(ZoneOffset.UTC).toInstant())) {
            days.put(day.day(), day);
            total += day.total();
            ok += day.ok();
        }
        List<Bar> bars = new ArrayList<>(DAYS);
        for (LocalDate day = first; !day.isAfter(today); day = day.plusDays(1)) {
            MonitorStore.Day d = days.get(day);
            if (d == null || d.total() == 0) {
                bars.add(new Bar("none", day + ": no data"));
            } else {
                double ratio = (double) d.ok() / d.total();
                bars.add(new Bar(ratio >= 0.9999 ? "up" : ratio >= 0.95 ? "partial" : "down",
                        day + ": " + percent(ratio) + " up (" + d.ok() + "/" + d.total() + ")"));
            }
        }
        List<CheckResult> recent = new ArrayList<>(store.results(spec.name(), CHART_POINTS));
        java.util.Collections.reverse(recent);
        CheckResult last = scheduler.last(spec.name()).orElse(null);
        Long incident = scheduler.openIncident(spec.name());
        String state = CheckResult.state(incident, last);
        return new CheckView(spec.name(), spec.target(), state, total == 0 ? "–" : percent((double) ok / total), bars,
                points(recent), last == null ? "–" : last.latencyMs() + " ms", last == null ? "" : last.summary());
    }

    /** The SVG polyline of latencies, scaled to the chart's box (highest value at the top). */
    static String points(List<CheckResult> results) {
        if (results.isEmpty()) {
            return "";
        }
        long max = Math.max(1, results.stream().mapToLong(CheckResult::latencyMs).max().orElse(1));
        StringBuilder out = new StringBuilder();
        double step = results.size() == 1 ? 0 : (double) CHART_WIDTH / (results.size() - 1);
        for (int i = 0; i < results.size(); i++) {
            double x = i * step;
            double y = CHART_HEIGHT - 2 - (double) results.get(i).latencyMs() / max * (CHART_HEIGHT - 4);
            out.append(String.format(java.util.Locale.ROOT, "%.1f,%.1f ", x, y));
        }
        return out.toString().trim();
    }

    private static String percent(double ratio) {
        return String.format(java.util.Locale.ROOT, "%.2f%%", ratio * 100);
    }

    private static String capitalise(String text) {
        return text.isEmpty() ? text : Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }

    /** A duration for people: "42 s", "7 min", "3 h 5 min"; empty when unknown. */
    public static String human(Long seconds) {
        if (seconds == null) {
            return "";
        }
        if (seconds < 120) {
            return seconds + " s";
        }
        if (seconds < 7200) {
            return seconds / 60 + " min";
        }
        return seconds / 3600 + " h " + seconds % 3600 / 60 + " min";
    }
}
