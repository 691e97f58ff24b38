package io.edgestack.monitor.api;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import io.edgestack.monitor.alert.Maintenance;
import io.edgestack.monitor.check.CheckResult;
import io.edgestack.monitor.check.CheckSpec;
import io.edgestack.monitor.schedule.CheckScheduler;
import io.edgestack.monitor.store.MonitorStore;
import io.edgestack.monitor.tunnel.Tunnels;
import io.vertx.core.json.JsonObject;

/**
 * The monitor API: the state of every check (public, the status page's data), the incident history (public), checks
 * added and removed at run time, alert deliveries, maintenance windows (token), and push heartbeats (the check's token).
 */
@Path("/api")
@Produces(MediaType.APPLICATION_JSON)
public class MonitorResource {

    private final CheckScheduler scheduler;
    private final MonitorStore store;
    private final Maintenance maintenance;
    private final Tunnels tunnels;

    /** The API token's digest, for the parts of public answers that only its holder sees. */
    private final byte[] token;

    public MonitorResource(CheckScheduler scheduler, MonitorStore store, Maintenance maintenance, Tunnels tunnels,
            io.edgestack.monitor.config.MonitorConfig config) {
        this.token = ApiAuth.expected(config);
        this.tunnels = tunnels;
        this.scheduler = scheduler;
        this.store = store;
        this.maintenance = maintenance;
    }

    /** One check's state. */
    public record CheckState(String name, String type, String target, String state, String site, String group, boolean fromApi,
            CheckResult last, Long openIncident, long intervalSeconds, double currentIntervalSeconds) {
    }

    /** Everything the status page shows. */
    public record Status(Instant at, List<CheckState> checks, List<MonitorStore.Incident> openIncidents,
            List<Maintenance.Window> maintenance, List<CheckScheduler.Watch> watching, List<Tunnels.Down> tunnelsDown,
            List<MonitorStore.Announcement> announcements) {
    }

    /** Body of {@code POST /api/announcements}. */
    public record AnnouncementRequest(String title, String body, String style) {
    }

    static final java.util.Set<String> STYLES = java.util.Set.of("info", "warning", "danger", "success");

    /** Body of {@code POST /api/maintenance}. */
    public record MaintenanceRequest(String site, Integer minutes, String reason) {
    }

    /** Every check's state; the checks kept off the status page ({@code status-page: false}) only with the API token. */
    @GET
    @Path("/status")
    public Status status(@HeaderParam("Authorization") String authorization) {
        return status(ApiAuth.authorized(token, authorization));
    }

    private Status status(boolean everything) {
        List<CheckState> checks = scheduler.checks().values().stream().filter(spec -> everything || spec.statusPage())
                .sorted(java.util.Comparator.comparing(CheckSpec::name)).map(this::state).toList();
        List<MonitorStore.Incident> open = store.openIncidents().stream().filter(i -> everything || shown(i.check())).toList();
        return new Status(Instant.now(), checks, open, maintenance.open(),
                List.copyOf(scheduler.watches().values()), tunnels.down(), store.announcements());
    }

    /** Whether the public sees a check's incidents: it is on the status page, or it is gone (its history stays). */
    private boolean shown(String check) {
        CheckSpec spec = scheduler.checks().get(check);
        return spec == null || spec.statusPage();
    }

    @GET
    @Path("/incidents")
    public Response incidents(@QueryParam("check") String check, @QueryParam("limit") String limitParam,
            @HeaderParam("Authorization") String authorization) {
        int limit;
        try {
            limit = io.edgestack.cluster.LimitParameter.parse(limitParam, 100, 1000, "incidents");
        } catch (IllegalArgumentException e) {
            return Problems.of(400, "Invalid limit", e.getMessage());
        }
        boolean everything = ApiAuth.authorized(token, authorization);
        if (check != null && !everything && !shown(check)) {
            return Response.ok(List.of()).build();
        }
        List<MonitorStore.Incident> all = store.incidents(check, limit);
        return Response.ok(everything ? all : all.stream().filter(i -> shown(i.check())).toList()).build();
    }

    @GET
    @Path("/checks")
    public List<CheckState> checks() {
        return status(true).checks();
    }

    /** {@code {"name": "home", "url": "https://...", "interval": "30s", ...}}: the same keys as the configuration. */
    @POST
    @Path("/checks")
    public Response add(Map<String, Object> body) {
        if (body == null || !(body.get("name") instanceof String name)) {
            return Problems.of(400, "Invalid check", "The body must be a JSON object with a 'name' and the check's keys.");
        }
        if (scheduler.checks().containsKey(name) && !scheduler.isFromApi(name)) {
            return Problems.of(409, "Check is configured", "Check '" + name + "' comes from the configuration; change it there.");
        }
        JsonObject settings = new JsonObject(body).copy();
        settings.remove("name");
        CheckSpec spec = CheckSpec.parse(name, CheckScheduler.settings(name, settings), scheduler.defaults(), name + ".");
        scheduler.addFromApi(spec, settings);
        return Response.status(201).entity(state(spec)).build();
    }

    /** One check's state, as in the list (a name that is no check: 404). */
    @GET
    @Path("/checks/{name}")
    public Response check(@PathParam("name") String name) {
        CheckSpec spec = scheduler.checks().get(name);
        return spec == null ? Problems.of(404, "No such check", "There is no check named '" + name + "'.")
                : Response.ok(state(spec)).build();
    }

    @DELETE
    @Path("/checks/{name}")
    public Response remove(@PathParam("name") String name) {
        if (scheduler.checks().containsKey(name) && !scheduler.isFromApi(name)) {
            return Problems.of(409, "Check is configured", "Check '" + name + "' comes from the configuration; remove it there.");
        }
        return scheduler.removeFromApi(name) ? Response.noContent().build()
                : Problems.of(404, "No such check", "There is no check named '" + name + "'.");
    }

    @GET
    @Path("/alerts")
    public List<MonitorStore.Alert> alerts(@QueryParam("status") String status) {
        return store.alerts(status, 200);
    }

    @POST
    @Path("/maintenance")
    public Response openMaintenance(MaintenanceRequest request) {
        int minutes = request == null || request.minutes() == null ? 30 : request.minutes();
        if (minutes < 1 || minutes > 7 * 24 * 60) {
            return Problems.of(400, "Invalid maintenance window", "'minutes' must be between 1 and 10080.");
        }
        Maintenance.Window window = maintenance.open(UUID.randomUUID().toString(), request == null ? null : request.site(),
                request == null || request.reason() == null ? "maintenance" : request.reason(),
                Instant.now().plusSeconds(minutes * 60L));
        return Response.status(201).entity(window).build();
    }

    @GET
    @Path("/announcements")
    public List<MonitorStore.Announcement> announcements() {
        return store.announcements();
    }

    /** Puts a note on the status page, newest first, until it is deleted. */
    @POST
    @Path("/announcements")
    public Response announce(AnnouncementRequest request) {
        String title = request == null || request.title() == null ? "" : request.title().strip();
        String body = request == null || request.body() == null || request.body().isBlank() ? null : request.body().strip();
        String style = request == null || request.style() == null ? "info" : request.style();
        if (title.isEmpty() || title.length() > 200) {
            return Problems.of(400, "Invalid announcement", "'title' is required, at most 200 characters.");
        }
        if (body != null && body.length() > 4000) {
            return Problems.of(400, "Invalid announcement", "'body' has at most 4000 characters.");
        }
        if (!STYLES.contains(style)) {
            return Problems.of(400, "Invalid announcement", "'style' is one of info, warning, danger, success.");
        }
        return Response.status(201).entity(store.announce(title, body, style)).build();
    }

    @DELETE
    @Path("/announcements/{id}")
    public Response unannounce(@PathParam("id") long id) {
        return store.unannounce(id) ? Response.noContent().build()
                : Problems.of(404, "No such announcement", "There is no announcement " + id + ".");
    }

    @DELETE
    @Path("/maintenance/{id}")
    public Response closeMaintenance(@PathParam("id") String id) {
        return maintenance.close(id) ? Response.noContent().build()
                : Problems.of(404, "No such maintenance window", "There is no open window '" + id + "'.");
    }

    /**
     * A job's heartbeat: {@code POST} or {@code GET /api/push/<check>?token=...}, with Uptime Kuma's push parameters:
     * {@code status=up|down} (a job that failed says so), {@code msg} and {@code ping} (milliseconds), so that a Kuma push
     * URL works once its host and path are changed.
     */
    @POST
    @Path("/push/{name}")
    public Response push(@PathParam("name") String name, @QueryParam("token") String token,
            @QueryParam("status") String status, @QueryParam("msg") String message, @QueryParam("ping") String ping) {
        boolean up = status == null || status.isBlank() || status.equalsIgnoreCase("up");
        if (!up && !status.equalsIgnoreCase("down")) {
            return Problems.of(400, "Invalid push status", "status must be 'up' or 'down', not '" + clip(status) + "'.");
        }
        long latency = 0;
        if (ping != null && !ping.isBlank()) {
            try {
                latency = Math.round(Double.parseDouble(ping.trim()));
            } catch (NumberFormatException e) {
                return Problems.of(400, "Invalid push ping", "ping must be a number of milliseconds, not '" + clip(ping) + "'.");
            }
        }
        String said = message == null ? null : clip(message);
        return scheduler.ping(name, token, up, said, latency) ? Response.ok(new JsonObject().put("ok", true).encode()).build()
                : Problems.of(404, "Unknown push check or token", "No push check '" + name + "' with that token.");
    }

    @GET
    @Path("/push/{name}")
    public Response pushGet(@PathParam("name") String name, @QueryParam("token") String token,
            @QueryParam("status") String status, @QueryParam("msg") String message, @QueryParam("ping") String ping) {
        return push(name, token, status, message, ping);
    }

    /** What a caller sent, cut to 200 characters for an answer or a summary. */
    private static String clip(String text) {
        return text.length() > 200 ? text.substring(0, 200) + "..." : text;
    }

    private CheckState state(CheckSpec spec) {
        CheckResult last = scheduler.last(spec.name()).orElse(null);
        Long incident = scheduler.openIncident(spec.name());
        String state = CheckResult.state(incident, last);
        return new CheckState(spec.name(), spec.type(), spec.target(), state, spec.site(), spec.group(), scheduler.isFromApi(spec.name()), last,
                incident, spec.interval().toSeconds(), scheduler.intervalOf(spec).toMillis() / 1000.0);
    }
}
