package io.edgestack.deploy.api;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

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

import org.jboss.resteasy.reactive.RestStreamElementType;

import io.edgestack.deploy.build.BuildLog;
import io.edgestack.deploy.config.DeployConfig;
import io.edgestack.deploy.deployment.Deployer;
import io.edgestack.deploy.deployment.Deployment;
import io.edgestack.deploy.deployment.DeploymentStore;
import io.edgestack.deploy.release.ReleaseRecord;
import io.edgestack.deploy.release.ReleaseStore;
import io.edgestack.deploy.rollback.AutoRollback;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.mutiny.subscription.MultiEmitter;

/**
 * The deploy API (bearer token, see {@link ApiAuth}): start a deployment, list and read them with their logs (live as
 * server-sent events while they run), roll back, list releases, and report an incident.
 */
@Path("/api")
@Produces(MediaType.APPLICATION_JSON)
public class DeploymentsResource {

    /** How often a follower looks at a deployment that waits or runs elsewhere (another process sharing the store). */
    private static final long REMOTE_LOOK = 2000;

    private final Deployer deployer;
    private final DeploymentStore store;
    private final ReleaseStore releases;
    private final AutoRollback autoRollback;
    private final DeployConfig config;

    public DeploymentsResource(Deployer deployer, DeploymentStore store, ReleaseStore releases, AutoRollback autoRollback,
            DeployConfig config) {
        this.deployer = deployer;
        this.store = store;
        this.releases = releases;
        this.autoRollback = autoRollback;
        this.config = config;
    }

    /** Body of {@code POST /api/deployments}: both optional (the default site, its branch). */
    public record DeployRequest(String site, String ref) {
    }

    /** Body of {@code POST /api/rollback}: all optional (the default site, the release before the live one). */
    public record RollbackRequest(String site, String release, Boolean force, String reason) {
    }

    /** Body of {@code POST /api/incidents}, sent by monitor-service. */
    public record IncidentReport(String site, String summary, String openedAt) {
    }

    /** A release as listed: its record, and whether it is the live one. */
    public record ReleaseView(String name, boolean live, String state, String stateReason, String commit, String author,
            String message, int changedFiles, long buildMillis, String triggeredBy, long deployment, Instant createdAt) {
    }

    @POST
    @Path("/deployments")
    public Response deploy(DeployRequest request, @HeaderParam("X-Edgestack-Actor") String actor) {
        String site = request == null || request.site() == null ? config.defaultSite() : request.site();
        String ref = request == null || request.ref() == null || request.ref().isBlank() ? deployer.site(site).branch()
                : request.ref().trim();
        if (!ref.matches("[A-Za-z0-9._/-]{1,200}") || ref.contains("..")) {
            return Problems.of(400, "Invalid ref", "'" + ref + "' is not a branch, tag or commit id.");
        }
        Deployment deployment = deployer.submit(site, ref, "api", actor == null ? "api" : "api (" + clip(actor) + ")");
        return Response.accepted(deployment).location(URI.create("/api/deployments/" + deployment.id())).build();
    }

    @GET
    @Path("/deployments")
    public Response list(@QueryParam("site") String site, @QueryParam("limit") String limitParam) {
        int limit;
        try {
            limit = io.edgestack.cluster.LimitParameter.parse(limitParam, 50, 500, "deployments");
        } catch (IllegalArgumentException e) {
            return Problems.of(400, "Invalid limit", e.getMessage());
        }
        if (site != null) {
            deployer.site(site);
        }
        return Response.ok(store.recent(site, limit)).build();
    }

    @GET
    @Path("/deployments/{id}")
    public Response one(@PathParam("id") long id) {
        return store.find(id).map(d -> Response.ok(d).build()).orElseGet(() -> notFound(id));
    }

    @GET
    @Path("/deployments/{id}/log")
    @Produces(MediaType.TEXT_PLAIN)
    public Response log(@PathParam("id") long id) throws IOException {
        Optional<Deployment> deployment = store.find(id);
        if (deployment.isEmpty()) {
            return notFound(id);
        }
        try {
            return Response.ok(Files.readString(deployer.logFile(deployment.get()))).type("text/plain; charset=utf-8").build();
        } catch (NoSuchFileException e) {
            return Response.ok(deployment.get().status().equals(Deployment.QUEUED) ? "" : "(no log kept)\n")
                    .type("text/plain; charset=utf-8").build();
        }
    }

    /**
     * The log as server-sent events: every line so far, then new lines as they come, until the deployment ends. A
     * deployment still waiting in its site's queue (or between its start and its log) is waited for: a client that
     * queues one and follows it at once got an empty stream before.
     */
    @GET
    @Path("/deployments/{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.TEXT_PLAIN)
    public Multi<String> events(@PathParam("id") long id) {
        return Multi.createFrom().<String>emitter(emitter -> follow(id, emitter))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }

    private void follow(long id, MultiEmitter<? super String> emitter) {
        if (emitter.isCancelled()) {
            return;
        }
        Optional<Deployment> deployment = store.find(id);
        if (deployment.isEmpty()) {
            emitter.fail(new jakarta.ws.rs.NotFoundException("No deployment #" + id));
            return;
        }
        Optional<BuildLog> live = deployer.liveLog(id);
        if (live.isPresent()) {
            BuildLog.Reader reader = new BuildLog.Reader(emitter::emit, emitter::complete);
            if (live.get().follow(reader)) {
                emitter.onTermination(() -> live.get().unfollow(reader));
                return;
            }
        }
        String status = deployment.get().status();
        if (live.isEmpty() && (Deployment.QUEUED.equals(status) || Deployment.RUNNING.equals(status))) {
            // Waits for the deployment to start here (or end, or be superseded), then looks again. It may have changed
            // between the look above and the registration: looked at once more after it. A deployment run by another
            // deploy-service sharing the store tells this one nothing: looked at again every few seconds.
            java.util.concurrent.atomic.AtomicBoolean woken = new java.util.concurrent.atomic.AtomicBoolean();
            Runnable[] again = new Runnable[1];
            again[0] = () -> {
                if (woken.compareAndSet(false, true)) {
                    deployer.forget(id, again[0]);
                    Infrastructure.getDefaultWorkerPool().execute(() -> follow(id, emitter));
                }
            };
            deployer.whenChanged(id, again[0]);
            emitter.onTermination(() -> deployer.forget(id, again[0]));
            String now = deployer.liveLog(id).isPresent() ? null : store.find(id).map(Deployment::status).orElse(null);
            if (!status.equals(now)) {
                again[0].run();
            } else {
                Infrastructure.getDefaultWorkerPool().schedule(again[0], REMOTE_LOOK, TimeUnit.MILLISECONDS);
            }
            return;
        }
        java.nio.file.Path file = deployer.logFile(deployment.get());
        try {
            if (Files.exists(file)) {
                Files.readAllLines(file).forEach(emitter::emit);
            }
            emitter.complete();
        } catch (IOException e) {
            emitter.fail(e);
        }
    }

    /** Body of {@code POST /api/lock}. */
    public record LockRequest(String site, String reason) {
    }

    /** A site's deploy lock: {@code locked} false with no other field when it has none. */
    public record LockView(String site, boolean locked, String reason, String lockedBy, Instant lockedAt) {
        static LockView of(String site, Optional<DeploymentStore.Lock> lock) {
            return lock.map(l -> new LockView(site, true, l.reason(), l.lockedBy(), l.lockedAt()))
                    .orElseGet(() -> new LockView(site, false, null, null, null));
        }
    }

    @GET
    @Path("/lock")
    public LockView lockOf(@QueryParam("site") String siteName) {
        String site = siteName == null ? config.defaultSite() : siteName;
        deployer.site(site);
        return LockView.of(site, store.lockOf(site));
    }

    /** Locks a site's deploys with a reason (a freeze); locking a locked site replaces its reason. */
    @POST
    @Path("/lock")
    public Response lock(LockRequest request, @HeaderParam("X-Edgestack-Actor") String actor) {
        String site = request == null || request.site() == null ? config.defaultSite() : request.site();
        String reason = request == null || request.reason() == null ? "" : request.reason().strip();
        if (reason.isEmpty()) {
            return Problems.of(400, "Invalid lock", "A lock needs a reason (it is what a refused deploy is told).");
        }
        DeploymentStore.Lock lock = deployer.lock(site, reason, actor == null ? "api" : "api (" + clip(actor) + ")");
        return Response.ok(LockView.of(site, Optional.of(lock))).build();
    }

    @DELETE
    @Path("/lock")
    public LockView unlock(@QueryParam("site") String siteName, @HeaderParam("X-Edgestack-Actor") String actor) {
        String site = siteName == null ? config.defaultSite() : siteName;
        deployer.unlock(site, actor == null ? "api" : "api (" + clip(actor) + ")");
        return LockView.of(site, Optional.empty());
    }

    /** Body of {@code POST /api/maintenance}: the site (the default one) and what its visitors are told. */
    public record MaintenanceRequest(String site, String message) {
    }

    /** Whether a site is in maintenance, since when, by whom, with what message. */
    @GET
    @Path("/maintenance")
    public Response maintenanceOf(@QueryParam("site") String siteName) {
        String site = siteName == null ? config.defaultSite() : siteName;
        deployer.site(site);
        String state = releases.maintenance(site);
        io.vertx.core.json.JsonObject view = new io.vertx.core.json.JsonObject().put("site", site).put("maintenance", state != null);
        if (state != null) {
            try {
                view.mergeIn(new io.vertx.core.json.JsonObject(state));
            } catch (RuntimeException e) {
                view.put("message", state.strip());
            }
        }
        return Response.ok(view.encode()).build();
    }

    /** Puts a site in maintenance: its visitors get 503 with the message until {@code DELETE /api/maintenance}. */
    @POST
    @Path("/maintenance")
    public Response startMaintenance(MaintenanceRequest request, @HeaderParam("X-Edgestack-Actor") String actor) {
        String site = request == null || request.site() == null ? config.defaultSite() : request.site();
        String message = request == null || request.message() == null || request.message().isBlank()
                ? "This site is down for maintenance. It will be back shortly." : request.message().strip();
        if (message.length() > 1000 || message.chars().anyMatch(c -> c < 0x20 && c != '\n')) {
            return Problems.of(400, "Invalid maintenance", "The message is at most 1000 characters, without control characters.");
        }
        io.vertx.core.json.JsonObject state = deployer.startMaintenance(site, message, actor == null ? "api" : "api (" + clip(actor) + ")");
        return Response.ok(state.copy().put("site", site).put("maintenance", true).encode()).build();
    }

    @DELETE
    @Path("/maintenance")
    public Response endMaintenance(@QueryParam("site") String siteName, @HeaderParam("X-Edgestack-Actor") String actor) {
        String site = siteName == null ? config.defaultSite() : siteName;
        boolean ended = deployer.endMaintenance(site, actor == null ? "api" : "api (" + clip(actor) + ")");
        return Response.ok(new io.vertx.core.json.JsonObject().put("site", site).put("maintenance", false).put("ended", ended)
                .encode()).build();
    }

    @POST
    @Path("/rollback")
    public Response rollback(RollbackRequest request, @HeaderParam("X-Edgestack-Actor") String actor) {
        String site = request == null || request.site() == null ? config.defaultSite() : request.site();
        String release = request == null || request.release() == null || request.release().isBlank() ? null
                : request.release().trim();
        boolean force = request != null && Boolean.TRUE.equals(request.force());
        String reason = request == null ? null : request.reason();
        Deployment rollback = deployer.rollback(site, release, force, "api", actor == null ? "api" : "api (" + clip(actor) + ")",
                reason, false);
        return Response.ok(rollback).build();
    }

    @GET
    @Path("/releases")
    public List<ReleaseView> releases(@QueryParam("site") String siteName) throws IOException {
        String site = siteName == null ? config.defaultSite() : siteName;
        deployer.site(site);
        String live = releases.live(site);
        java.util.Map<String, ReleaseRecord> records = new java.util.HashMap<>();
        store.releases(site).forEach(r -> records.put(r.name(), r));
        List<String> names = new java.util.ArrayList<>(releases.list(site));
        java.util.Collections.reverse(names);
        return names.stream().map(name -> {
            ReleaseRecord r = records.get(name);
            return r == null
                    ? new ReleaseView(name, name.equals(live), "unrecorded", null, null, null, null, 0, 0, null, 0, null)
                    : new ReleaseView(name, name.equals(live), r.state(), r.stateReason(), r.commit(), r.author(),
                            r.message(), r.changedFiles().size(), r.buildMillis(), r.triggeredBy(), r.deploymentId(),
                            r.createdAt());
        }).toList();
    }

    /** The same as a table, for the command line ({@code Accept: text/plain}). */
    @GET
    @Path("/releases")
    @Produces(MediaType.TEXT_PLAIN)
    public String releasesTable(@QueryParam("site") String siteName) throws IOException {
        List<ReleaseView> all = releases(siteName);
        StringBuilder out = new StringBuilder(String.format("%-4s %-34s %-9s %-8s %s%n", "", "RELEASE", "STATE", "COMMIT",
                "MESSAGE"));
        for (ReleaseView r : all) {
            out.append(String.format("%-4s %-34s %-9s %-8s %s%n", r.live() ? "live" : "", r.name(), r.state(),
                    r.commit() == null ? "" : r.commit().substring(0, 7), r.message() == null ? "" : r.message()));
        }
        if (all.isEmpty()) {
            out.append("(no release yet)\n");
        }
        return out.toString();
    }

    @POST
    @Path("/incidents")
    public Response incident(IncidentReport report) {
        if (report == null || report.site() == null) {
            return Problems.of(400, "Invalid incident", "An incident needs at least 'site'.");
        }
        Instant opened;
        try {
            opened = report.openedAt() == null ? Instant.now() : Instant.parse(report.openedAt());
        } catch (DateTimeParseException e) {
            return Problems.of(400, "Invalid incident", "'openedAt' must be an ISO-8601 instant, like 2026-11-24T10:15:30Z.");
        }
        return Response.ok(autoRollback.incident(report.site(), report.summary() == null ? "incident" : report.summary(),
                opened)).build();
    }

    private static Response notFound(long id) {
        return Problems.of(404, "No such deployment", "There is no deployment #" + id + ".");
    }

    private static String clip(String text) {
        String clean = text.replaceAll("[\\p{Cntrl}]", "");
        return clean.length() > 100 ? clean.substring(0, 100) : clean;
    }
}
