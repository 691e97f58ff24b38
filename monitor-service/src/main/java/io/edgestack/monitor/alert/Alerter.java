package io.edgestack.monitor.alert;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.edgestack.monitor.check.CheckSpec;
import io.edgestack.monitor.config.MonitorConfig;
import io.edgestack.monitor.metrics.MonitorMetrics;
import io.edgestack.monitor.store.MonitorStore;
import io.quarkus.mailer.Mail;
import io.quarkus.mailer.reactive.ReactiveMailer;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

/**
 * Alerts on incidents opening and resolving, through every configured channel (a generic JSON webhook, a
 * Slack-compatible webhook, email over SMTP). Each alert is written to the database first, then sent; one that cannot be delivered is
 * retried with a doubling wait (up to 5 minutes) and stays listed until it is: nothing is dropped. During a maintenance
 * window alerts are recorded as suppressed instead of sent.
 */
@ApplicationScoped
public class Alerter {

    private static final Logger LOG = Logger.getLogger(Alerter.class);
    private static final Duration MAX_WAIT = Duration.ofMinutes(5);

    /**
     * A configured channel: a webhook, Slack, Discord or ntfy URL (ntfy with an optional access token), a Gotify server
     * and its application token, a Telegram bot's token and chat ({@code to}: the chat id; {@code url}: the Bot API), or
     * the recipients of an email. {@code deploys}: which of deploy-service's events it is told too ({@code none},
     * {@code failed}, or {@code all}: releases that went live and rollbacks too).
     */
    public record Channel(String name, String type, URI url, List<String> to, String token, String deploys) {

        @Override
        public String toString() { // the token never goes to a log
            return "Channel[" + name + ", " + type + (url == null ? ", to " + to : ", " + url) + "]";
        }
    }

    static final java.util.Set<String> TYPES = java.util.Set.of("webhook", "slack", "discord", "ntfy", "gotify", "telegram",
            "pushover", "matrix", "pagerduty", "email");
    static final String TYPE_LIST = "webhook, slack, discord, ntfy, gotify, telegram, pushover, matrix, pagerduty or email";
    /** Pushover's and PagerDuty's APIs, where a channel of those types names none. */
    static final String PUSHOVER_API = "https://api.pushover.net";
    static final String PAGERDUTY_API = "https://events.pagerduty.com";
    static final java.util.Set<String> DEPLOYS = java.util.Set.of("none", "failed", "all");
    /** Telegram's Bot API, where a channel of that type names none. */
    static final String TELEGRAM_API = "https://api.telegram.org";

    private final MonitorStore store;
    private final Vertx vertx;
    private final MonitorMetrics metrics;
    private final Maintenance maintenance;
    private final Duration retryInitial;
    private final ReactiveMailer mailer;
    private final Map<String, Channel> channels = new LinkedHashMap<>();
    private final HttpClient client;
    private volatile boolean sending;

    public Alerter(MonitorConfig config, MonitorStore store, Vertx vertx, MonitorMetrics metrics, Maintenance maintenance,
            ReactiveMailer mailer) {
        this.mailer = mailer;
        this.store = store;
        this.vertx = vertx;
        this.metrics = metrics;
        this.maintenance = maintenance;
        this.retryInitial = config.alertRetryInitial();
        config.alerts().forEach((name, settings) -> channels.put(name, channel(name, settings)));
        this.client = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(5000).setKeepAlive(false));
    }

    static Channel channel(String name, Map<String, String> settings) {
        String prefix = "edgestack.monitor.alerts." + name + ".";
        String type = settings.getOrDefault("type", "webhook");
        if (!TYPES.contains(type)) {
            throw new CheckSpec.Invalid(prefix + "type: '" + type + "' is not " + TYPE_LIST);
        }
        List<String> known = switch (type) {
            case "email" -> List.of("type", "to", "deploys");
            case "ntfy", "gotify" -> List.of("type", "url", "token", "deploys");
            case "telegram" -> List.of("type", "token", "chat-id", "url", "deploys");
            case "pushover" -> List.of("type", "token", "user", "url", "deploys");
            case "matrix" -> List.of("type", "url", "token", "room", "deploys");
            case "pagerduty" -> List.of("type", "token", "url", "deploys");
            default -> List.of("type", "url", "deploys");
        };
        for (String key : settings.keySet()) {
            if (!known.contains(key)) {
                throw new CheckSpec.Invalid(prefix + key + ": unknown key (known: " + String.join(", ", known) + ")");
            }
        }
        String deploys = settings.getOrDefault("deploys", "none").trim();
        if (!DEPLOYS.contains(deploys)) {
            throw new CheckSpec.Invalid(prefix + "deploys: '" + deploys + "' is not none, failed or all");
        }
        if (type.equals("email")) {
            String to = settings.get("to");
            List<String> recipients = to == null ? List.of() : java.util.Arrays.stream(to.split(",")).map(String::trim)
                    .filter(a -> !a.isEmpty()).toList();
            if (recipients.isEmpty() || recipients.stream().anyMatch(a -> !a.matches("[^@\\s]+@[^@\\s]+"))) {
                throw new CheckSpec.Invalid(prefix + "to: " + (to == null ? "missing" : "'" + to + "' is not a list of addresses"));
            }
            return new Channel(name, type, null, recipients, null, deploys);
        }
        if (type.equals("telegram")) {
            String token = settings.get("token");
            if (token == null || !token.trim().matches("[0-9]+:[A-Za-z0-9_-]+")) { // the token itself is never repeated
                throw new CheckSpec.Invalid(prefix + "token: " + (token == null ? "missing" : "not a bot token (<digits>:<letters>, from @BotFather)"));
            }
            String chat = settings.get("chat-id");
            if (chat == null || !chat.trim().matches("-?[0-9]+|@[A-Za-z][A-Za-z0-9_]{3,}")) {
                throw new CheckSpec.Invalid(prefix + "chat-id: " + (chat == null ? "missing" : "'" + chat + "' is not a chat id (a number) or @channel"));
            }
            String api = settings.getOrDefault("url", TELEGRAM_API);
            if (!(api.startsWith("http://") || api.startsWith("https://"))) {
                throw new CheckSpec.Invalid(prefix + "url: '" + api + "' is not an http(s) URL");
            }
            return new Channel(name, type, URI.create(api.endsWith("/") ? api.substring(0, api.length() - 1) : api),
                    List.of(chat.trim()), token.trim(), deploys);
        }
        if (type.equals("pushover") || type.equals("pagerduty") || type.equals("matrix")) {
            return keyed(name, type, settings, prefix, deploys);
        }
        String url = settings.get("url");
        if (url == null || !(url.startsWith("http://") || url.startsWith("https://"))) {
            throw new CheckSpec.Invalid(prefix + "url: " + (url == null ? "missing" : "'" + url + "' is not an http(s) URL"));
        }
        String token = settings.get("token");
        if (type.equals("gotify") && (token == null || token.isBlank())) {
            throw new CheckSpec.Invalid(prefix + "token: missing (the token of a Gotify application)");
        }
        return new Channel(name, type, URI.create(url), List.of(), token == null || token.isBlank() ? null : token.trim(),
                deploys);
    }

    /**
     * Pushover (the application's {@code token}, the {@code user} key), Matrix (a homeserver {@code url}, an access
     * {@code token}, a {@code room} id) and PagerDuty (an Events API v2 integration's routing key as {@code token}).
     * Secrets are never repeated in an error.
     */
    private static Channel keyed(String name, String type, Map<String, String> settings, String prefix, String deploys) {
        String token = settings.get("token");
        if (token == null || token.isBlank() || !token.trim().matches("[A-Za-z0-9_.~+/=-]+")) {
            throw new CheckSpec.Invalid(prefix + "token: " + (token == null || token.isBlank() ? "missing" : "not a token") + " ("
                    + switch (type) {
                        case "pushover" -> "the API token of a Pushover application";
                        case "matrix" -> "the access token of the bot's Matrix account";
                        default -> "the routing key of a PagerDuty Events API v2 integration";
                    } + ")");
        }
        String fallback = type.equals("pushover") ? PUSHOVER_API : type.equals("pagerduty") ? PAGERDUTY_API : null;
        String api = settings.getOrDefault("url", fallback);
        if (api == null || !(api.startsWith("http://") || api.startsWith("https://"))) {
            throw new CheckSpec.Invalid(prefix + "url: " + (api == null ? "missing (the homeserver, https://matrix.example.org)"
                    : "'" + api + "' is not an http(s) URL"));
        }
        List<String> to = List.of();
        if (type.equals("pushover")) {
            String user = settings.get("user");
            if (user == null || !user.trim().matches("[A-Za-z0-9]+")) {
                throw new CheckSpec.Invalid(prefix + "user: " + (user == null ? "missing (the user or group key to notify)"
                        : "not a Pushover user or group key"));
            }
            to = List.of(user.trim());
        } else if (type.equals("matrix")) {
            String room = settings.get("room");
            if (room == null || !room.trim().matches("![^:\\s]+:[^\\s]+")) {
                throw new CheckSpec.Invalid(prefix + "room: " + (room == null ? "missing" : "'" + room + "' is not a room id")
                        + " (!abc123:example.org, in the room's settings; the bot's account must have joined it)");
            }
            to = List.of(room.trim());
        }
        return new Channel(name, type, URI.create(api.replaceAll("/+$", "")), to, token.trim(), deploys);
    }

    void start(@Observes StartupEvent event) {
        vertx.setPeriodic(1000, id -> sendDue());
    }

    @PreDestroy
    void close() {
        client.close();
    }

    public Map<String, Channel> channels() {
        return channels;
    }

    /**
     * Records one alert per channel the check alerts to (all when it names none). Blocking (database): call from a
     * worker thread. Sending happens on the next tick.
     */
    public void raise(CheckSpec spec, long incidentId, String kind, JsonObject event, String text) {
        boolean suppressed = maintenance.active(spec).isPresent();
        for (Channel channel : channels.values()) {
            if (!spec.alerts().isEmpty() && !spec.alerts().contains(channel.name())) {
                continue;
            }
            String payload = payload(channel, subject(spec, kind), text, kind.equals("opened"), event);
            store.alert(incidentId, channel.name(), kind, payload, suppressed ? "suppressed" : "pending");
            if (suppressed) {
                metrics.alert(channel.name(), "suppressed");
            }
        }
        if (!suppressed) {
            vertx.runOnContext(v -> sendDue());
        }
    }

    /** A title, a text and (for a webhook) the whole event, in the format of the channel's receiver. */
    private static String payload(Channel channel, String title, String text, boolean urgent, JsonObject event) {
        return switch (channel.type()) {
            case "slack" -> new JsonObject().put("text", text).encode();
            case "discord" -> new JsonObject().put("content", text.length() <= 2000 ? text : text.substring(0, 1999) + "…")
                    .encode();
            case "ntfy" -> new JsonObject().put("title", title).put("text", text)
                    .put("priority", urgent ? "high" : "default")
                    .put("tags", urgent ? "rotating_light" : "white_check_mark").encode();
            case "gotify" -> new JsonObject().put("title", title).put("message", text).put("priority", urgent ? 8 : 4).encode();
            case "telegram" -> new JsonObject().put("chat_id", channel.to().get(0))
                    .put("text", text.length() <= 4096 ? text : text.substring(0, 4095) + "…")
                    .put("disable_web_page_preview", true).encode();
            case "pushover" -> new JsonObject().put("title", clip(title, 250)).put("message", clip(text, 1024))
                    .put("priority", urgent ? 1 : 0).encode();
            case "matrix" -> new JsonObject().put("msgtype", "m.text").put("body", text).encode();
            case "pagerduty" -> pagerDuty(title, text, urgent, event).encode();
            case "email" -> new JsonObject().put("subject", title).put("text", text).encode();
            default -> event.copy().put("text", text).encode();
        };
    }

    /**
     * A PagerDuty event (the routing key is added when it is sent, never stored): an incident triggers an alert and its
     * end resolves it (one dedup key per incident); a failed deploy triggers one; a release gone live or rolled back is a
     * change event, which pages nobody.
     */
    static JsonObject pagerDuty(String title, String text, boolean urgent, JsonObject event) {
        String kind = event.getString("kind", "");
        JsonObject details = new JsonObject().put("text", text);
        if (kind.equals("deploy-live") || kind.equals("deploy-rollback")) {
            return new JsonObject().put("change", true).put("payload", new JsonObject().put("summary", clip(title, 1024))
                    .put("source", "edgestack-monitor").put("custom_details", details));
        }
        JsonObject incident = event.getJsonObject("incident");
        String dedup = kind.startsWith("deploy")
                ? "edgestack:deploy:" + event.getString("site") + ":" + event.getValue("deployment")
                : "edgestack:" + event.getString("check") + ":" + (incident == null ? "" : incident.getValue("id"));
        boolean resolved = kind.equals("incident.resolved");
        JsonObject out = new JsonObject().put("event_action", resolved ? "resolve" : "trigger").put("dedup_key", dedup);
        if (!resolved) {
            out.put("payload", new JsonObject().put("summary", clip(title, 1024)).put("source", "edgestack-monitor")
                    .put("severity", urgent ? (kind.startsWith("deploy") ? "error" : "critical") : "info")
                    .put("custom_details", details));
        }
        return out;
    }

    /**
     * Tells the channels that take deploys ({@code .deploys}) of one of deploy-service's events: {@code deploy.failed}
     * (to {@code failed} and {@code all}), {@code deploy.completed} and {@code deploy.rolled-back} (to {@code all}).
     * Recorded with incident 0 and sent, and retried, as the incidents' alerts; a maintenance window holds none back.
     * Blocking (database): call from a worker thread.
     */
    public void deploy(String address, JsonObject event) {
        String site = event.getString("site");
        Object id = event.getValue("deployment");
        String kind;
        String title;
        String text;
        switch (address) {
            case "deploy.failed" -> {
                kind = "deploy-failed";
                title = "[edgestack] deploy of " + site + " failed";
                text = ":x: Deploy #" + id + " of " + site + " failed at " + event.getString("stage", "?") + ": "
                        + clip(event.getString("reason", "no reason given"), 1500);
            }
            case "deploy.completed" -> {
                kind = "deploy-live";
                title = "[edgestack] " + site + " is live as " + event.getString("release");
                text = ":rocket: " + site + " is live as " + event.getString("release") + " (deploy #" + id
                        + (event.getValue("changedFiles") != null ? ", " + event.getValue("changedFiles") + " file(s) changed" : "") + ")";
            }
            case "deploy.rolled-back" -> {
                kind = "deploy-rollback";
                title = "[edgestack] " + site + " rolled back";
                text = ":leftwards_arrow_with_hook: " + site + " rolled back to " + event.getString("release")
                        + (Boolean.TRUE.equals(event.getBoolean("automatic")) ? " automatically" : "")
                        + (event.getString("reason") != null ? ": " + clip(event.getString("reason"), 1500) : "");
            }
            default -> throw new IllegalArgumentException("not a deploy event: " + address);
        }
        boolean failed = kind.equals("deploy-failed");
        boolean any = false;
        for (Channel channel : channels.values()) {
            if (channel.deploys().equals("all") || failed && channel.deploys().equals("failed")) {
                store.alert(0, channel.name(), kind, payload(channel, title, text, failed, event.copy().put("kind", kind)), "pending");
                any = true;
            }
        }
        if (any) {
            vertx.runOnContext(v -> sendDue());
        }
    }

    private static String clip(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max - 1) + "…";
    }

    private void sendDue() {
        if (sending) {
            return;
        }
        sending = true;
        vertx.<List<MonitorStore.Alert>>executeBlocking(() -> store.dueAlerts(Instant.now()), false)
                .compose(due -> Future.join(due.stream().map(this::send).toList()))
                .onComplete(done -> sending = false);
    }

    private static String subject(CheckSpec spec, String kind) {
        return "[edgestack] " + spec.name() + (kind.equals("opened") ? " is DOWN" : " is up again");
    }

    private Future<Void> send(MonitorStore.Alert alert) {
        Channel channel = channels.get(alert.channel());
        if (channel == null) {
            return record(alert, "channel '" + alert.channel() + "' is no longer configured");
        }
        if (channel.type().equals("email")) {
            JsonObject mail = new JsonObject(alert.payload());
            Mail message = Mail.withText(channel.to().get(0), mail.getString("subject"), mail.getString("text"));
            message.setTo(channel.to());
            return Future.fromCompletionStage(mailer.send(message).subscribeAsCompletionStage(), vertx.getOrCreateContext())
                    .map(v -> (String) null).otherwise(error -> "SMTP: " + error.getMessage())
                    .compose(error -> record(alert, error));
        }
        String url = switch (channel.type()) {
            case "telegram" -> channel.url() + "/bot" + channel.token() + "/sendMessage";
            case "gotify" -> channel.url().toString().replaceAll("/+$", "") + "/message";
            case "pushover" -> channel.url() + "/1/messages.json";
            // the alert's id as the transaction id: a delivery retried after a lost answer is not posted twice
            case "matrix" -> channel.url() + "/_matrix/client/v3/rooms/"
                    + java.net.URLEncoder.encode(channel.to().get(0), java.nio.charset.StandardCharsets.UTF_8)
                    + "/send/m.room.message/edgestack-" + alert.id();
            case "pagerduty" -> channel.url() + (new JsonObject(alert.payload()).containsKey("change")
                    ? "/v2/change/enqueue" : "/v2/enqueue");
            default -> channel.url().toString();
        };
        RequestOptions options = new RequestOptions().setAbsoluteURI(url)
                .setMethod(channel.type().equals("matrix") ? HttpMethod.PUT : HttpMethod.POST)
                .putHeader("Content-Type", "application/json").putHeader("User-Agent", "edgestack-monitor/1")
                .setTimeout(10_000);
        Buffer payload = Buffer.buffer(alert.payload());
        if (channel.type().equals("pushover")) { // the keys go in the message, and only as it is sent (never stored)
            payload = Buffer.buffer(new JsonObject(alert.payload()).put("token", channel.token())
                    .put("user", channel.to().get(0)).encode());
        } else if (channel.type().equals("pagerduty")) {
            JsonObject event = new JsonObject(alert.payload());
            event.remove("change");
            payload = Buffer.buffer(event.put("routing_key", channel.token()).encode());
        } else if (channel.type().equals("matrix")) {
            options.putHeader("Authorization", "Bearer " + channel.token());
        }
        if (channel.type().equals("ntfy")) {
            // ntfy takes the message as the body and the rest as headers (https://docs.ntfy.sh/publish/)
            JsonObject message = new JsonObject(alert.payload());
            options.putHeader("Content-Type", "text/plain; charset=utf-8").putHeader("Title", message.getString("title"))
                    .putHeader("Priority", message.getString("priority")).putHeader("Tags", message.getString("tags"));
            if (channel.token() != null) {
                options.putHeader("Authorization", "Bearer " + channel.token());
            }
            payload = Buffer.buffer(message.getString("text"));
        } else if (channel.type().equals("gotify")) {
            options.putHeader("X-Gotify-Key", channel.token());
        }
        Buffer sent = payload;
        return client.request(options).compose(request -> request.send(sent))
                .compose(response -> response.body().map(body -> response.statusCode() / 100 == 2 ? null
                        : "HTTP " + response.statusCode() + ": " + body.toString().replaceAll("\\s+", " ")))
                .otherwise(error -> String.valueOf(error.getMessage()))
                .map(error -> redacted(error, channel.token()))
                .compose(error -> record(alert, error));
    }

    /**
     * A delivery's error without the channel's token, which a Telegram URL carries in its path and an HTTP client may
     * repeat (a timeout names the request): the error is stored, listed by the API and logged.
     */
    static String redacted(String error, String token) {
        return error == null || token == null ? error : error.replace(token, "<token>");
    }

    private Future<Void> record(MonitorStore.Alert alert, String error) {
        return vertx.executeBlocking(() -> {
            if (error == null) {
                store.alertSent(alert.id());
                metrics.alert(alert.channel(), "sent");
                LOG.infof("Alert #%d (%s) delivered to %s", alert.id(), alert.kind(), alert.channel());
            } else {
                long wait = Math.min(retryInitial.toMillis() << Math.min(alert.attempts(), 16), MAX_WAIT.toMillis());
                store.alertFailed(alert.id(), error, Instant.now().plusMillis(wait));
                metrics.alert(alert.channel(), "failed");
                LOG.warnf("Alert #%d to %s not delivered (attempt %d): %s; next try in %d s", alert.id(), alert.channel(),
                        alert.attempts() + 1, error, wait / 1000);
            }
            return null;
        }, false);
    }
}
