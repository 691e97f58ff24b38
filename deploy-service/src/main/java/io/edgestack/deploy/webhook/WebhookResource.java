package io.edgestack.deploy.webhook;

import java.net.URI;
import java.util.Optional;
import java.util.function.Predicate;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;

import io.edgestack.deploy.api.Problems;
import io.edgestack.deploy.config.DeployConfig;
import io.edgestack.deploy.deployment.Deployer;
import io.edgestack.deploy.deployment.Deployment;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

/**
 * Push webhooks from GitHub, Gitea and GitLab. The signature is checked on the raw body before anything else; a
 * missing or wrong one is a 401 and nothing happens. A push to the site's branch queues a deployment of exactly the
 * pushed commit (202 with its id); a push elsewhere, a branch deletion or another event is a 202 that says why nothing
 * was deployed; GitHub's {@code ping} is answered.
 */
@Path("/hooks")
@Consumes(MediaType.WILDCARD)
@Produces(MediaType.APPLICATION_JSON)
public class WebhookResource {

    private static final Logger LOG = Logger.getLogger(WebhookResource.class);
    private static final String ZERO = "0000000000000000000000000000000000000000";

    private final Deployer deployer;
    private final DeployConfig config;

    public WebhookResource(Deployer deployer, DeployConfig config) {
        this.deployer = deployer;
        this.config = config;
    }

    @POST
    @Path("/github")
    public Response github(@QueryParam("site") String siteName, @HeaderParam("X-GitHub-Event") String event,
            @HeaderParam("X-Hub-Signature-256") String signature, @HeaderParam("X-GitHub-Delivery") String delivery,
            @HeaderParam("Content-Type") String contentType, byte[] body) {
        String site = siteName == null ? config.defaultSite() : siteName;
        Response refused = refuse(site, "github", secret -> Signatures.github(secret, body, signature),
                signature == null ? "X-Hub-Signature-256 is missing"
                        : "X-Hub-Signature-256 does not match the body signed with the site's webhook secret");
        if (refused != null) {
            return refused;
        }
        if ("ping".equals(event)) {
            return Response.ok(new JsonObject().put("message", "pong").put("site", site).encode()).build();
        }
        if (!"push".equals(event)) {
            return ignored(site, "event '" + event + "' is not a push");
        }
        return push(site, payload(body, contentType), "github", delivery,
                json -> json.getJsonObject("pusher", new JsonObject()).getString("name"));
    }

    @POST
    @Path("/gitea")
    public Response gitea(@QueryParam("site") String siteName, @HeaderParam("X-Gitea-Event") String event,
            @HeaderParam("X-Gitea-Signature") String signature, @HeaderParam("X-Gitea-Delivery") String delivery,
            @HeaderParam("Content-Type") String contentType, byte[] body) {
        String site = siteName == null ? config.defaultSite() : siteName;
        Response refused = refuse(site, "gitea", secret -> Signatures.gitea(secret, body, signature),
                signature == null ? "X-Gitea-Signature is missing"
                        : "X-Gitea-Signature does not match the body signed with the site's webhook secret");
        if (refused != null) {
            return refused;
        }
        if (!"push".equals(event)) {
            return ignored(site, "event '" + event + "' is not a push");
        }
        return push(site, payload(body, contentType), "gitea", delivery,
                json -> json.getJsonObject("pusher", new JsonObject()).getString("login"));
    }

    @POST
    @Path("/gitlab")
    public Response gitlab(@QueryParam("site") String siteName, @HeaderParam("X-Gitlab-Event") String event,
            @HeaderParam("X-Gitlab-Token") String token, @HeaderParam("X-Gitlab-Event-UUID") String delivery, byte[] body) {
        String site = siteName == null ? config.defaultSite() : siteName;
        Response refused = refuse(site, "gitlab", secret -> Signatures.gitlab(secret, token),
                token == null ? "X-Gitlab-Token is missing" : "X-Gitlab-Token is not the site's webhook secret");
        if (refused != null) {
            return refused;
        }
        if (!"Push Hook".equals(event)) {
            return ignored(site, "event '" + event + "' is not a Push Hook");
        }
        return push(site, body, "gitlab", delivery, json -> json.getString("user_username", json.getString("user_name")));
    }

    /**
     * The JSON of a push: the body, or, for a hook set to {@code application/x-www-form-urlencoded} (GitHub's default
     * content type for a new webhook, and one of Gitea's), its {@code payload} field (the signature covers the form as
     * sent, and was checked on it). Null when a form has no {@code payload}.
     */
    static byte[] payload(byte[] body, String contentType) {
        if (contentType == null || !contentType.trim().toLowerCase(java.util.Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
            return body;
        }
        for (String field : new String(body, java.nio.charset.StandardCharsets.US_ASCII).split("&")) {
            if (field.startsWith("payload=")) {
                try {
                    return java.net.URLDecoder.decode(field.substring("payload=".length()), java.nio.charset.StandardCharsets.UTF_8)
                            .getBytes(java.nio.charset.StandardCharsets.UTF_8);
                } catch (IllegalArgumentException malformed) {
                    return null;
                }
            }
        }
        return null;
    }

    private Response push(String site, byte[] body, String forge, String delivery,
            java.util.function.Function<JsonObject, String> pusher) {
        if (body == null) {
            return Problems.of(400, "Invalid push payload", "A form-encoded webhook needs its JSON in a 'payload' field.");
        }
        JsonObject json;
        try {
            json = new JsonObject(new String(body, java.nio.charset.StandardCharsets.UTF_8));
        } catch (DecodeException | ClassCastException e) {
            return Problems.of(400, "Invalid push payload", "The body is not a JSON object: " + e.getMessage());
        }
        String ref = json.getValue("ref") instanceof String r ? r : null;
        String after = json.getValue("after") instanceof String a ? a : null;
        if (ref == null || after == null || !after.matches("[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")) {
            return Problems.of(400, "Invalid push payload", "A push needs 'ref' and 'after' (the pushed commit id).");
        }
        String branch = deployer.site(site).branch();
        if (!ref.equals("refs/heads/" + branch)) {
            return ignored(site, "push to " + ref + ", but site " + site + " deploys refs/heads/" + branch);
        }
        if (after.equals(ZERO) || json.getBoolean("deleted", false)) {
            return ignored(site, "the push deleted " + ref);
        }
        String who = forge + " push" + (pusher.apply(json) == null ? "" : " by " + pusher.apply(json))
                + (delivery == null ? "" : " (delivery " + delivery + ")");
        Deployment deployment = deployer.submit(site, after, forge, who);
        LOG.infof("Webhook from %s: deploying %s of %s as #%d", forge, after.substring(0, 7), site, deployment.id());
        return Response.accepted(new JsonObject().put("status", "queued").put("deployment", deployment.id())
                .put("site", site).put("commit", after).encode())
                .location(URI.create("/api/deployments/" + deployment.id())).build();
    }

    /**
     * The answer refusing a webhook (503 without a secret, 401 when {@code verify} does not accept the site's secret,
     * with {@code why}), or null when it is authentic.
     */
    private Response refuse(String site, String forge, Predicate<String> verify, String why) {
        Optional<String> secret = deployer.site(site).webhookSecret().or(config::webhookSecret).filter(s -> !s.isBlank());
        if (secret.isEmpty()) {
            return Problems.of(503, "Webhooks disabled", "Site " + site + " has no webhook secret: set "
                    + "edgestack.deploy.sites." + site + ".webhook-secret or EDGESTACK_DEPLOY_WEBHOOK_SECRET.");
        }
        if (verify.test(secret.get())) {
            return null;
        }
        LOG.warnf("Refused a %s webhook for %s: %s", forge, site, why);
        return Problems.of(401, "Invalid webhook signature", why + "; nothing was deployed.");
    }

    private static Response ignored(String site, String reason) {
        return Response.accepted(new JsonObject().put("status", "ignored").put("site", site).put("reason", reason).encode())
                .build();
    }
}
