import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Used by bin/edgestack: the deploy commands, talking to deploy-service's API. The API token is read from a file so
 * that it never shows in a process list.
 *
 *   java DeployCli.java <deploy url> <token file> deploy   [--site S] [ref]     follows the log, exit 1 if it fails
 *   java DeployCli.java <deploy url> <token file> rollback [--site S] [release]
 *   java DeployCli.java <deploy url> <token file> releases [--site S]
 *   java DeployCli.java <deploy url> <token file> lock     [--site S] [reason]   without a reason: shows the lock
 *   java DeployCli.java <deploy url> <token file> unlock   [--site S]
 *   java DeployCli.java <deploy url> <token file> maintenance [--site S] [on [message] | off]   without on/off: shows it
 */
public class DeployCli {

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private static String base;
    private static String token;

    public static void main(String[] args) throws Exception {
        base = args[0];
        token = Files.readString(Path.of(args[1])).trim();
        String command = args[2];
        String site = null;
        List<String> rest = new ArrayList<>();
        for (int i = 3; i < args.length; i++) {
            if (args[i].equals("--site") && i + 1 < args.length) {
                site = args[++i];
            } else {
                rest.add(args[i]);
            }
        }
        String arg = rest.isEmpty() ? null : rest.get(0);
        switch (command) {
            case "deploy" -> System.exit(deploy(site, arg));
            case "rollback" -> System.exit(rollback(site, arg));
            case "releases" -> System.exit(releases(site));
            case "lock" -> System.exit(rest.isEmpty() ? showLock(site) : lock(site, String.join(" ", rest)));
            case "unlock" -> System.exit(unlock(site));
            case "maintenance" -> System.exit(rest.isEmpty() ? showMaintenance(site)
                    : rest.get(0).equals("on") ? startMaintenance(site, String.join(" ", rest.subList(1, rest.size())))
                    : rest.get(0).equals("off") && rest.size() == 1 ? endMaintenance(site) : usage(
                            "bin/edgestack maintenance [--site S] [on [message] | off]"));
            default -> {
                System.err.println("edgestack: unknown deploy command '" + command + "'");
                System.exit(2);
            }
        }
    }

    private static int deploy(String site, String ref) throws Exception {
        HttpResponse<String> queued = send("POST", "/api/deployments", json("site", site, "ref", ref));
        if (queued.statusCode() != 202) {
            return problem("deploy", queued);
        }
        String id = field(queued.body(), "id");
        System.out.println("Deployment #" + id + " queued (" + field(queued.body(), "ref") + "); following its log:");
        HttpRequest events = request("/api/deployments/" + id + "/events").header("Accept", "text/event-stream")
                .GET().build();
        HttpResponse<InputStream> stream = CLIENT.send(events, HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.startsWith("data:")) {
                    System.out.println("  " + line.substring(line.startsWith("data: ") ? 6 : 5));
                }
            }
        }
        for (int i = 0; i < 600; i++) {
            HttpResponse<String> done = send("GET", "/api/deployments/" + id, null);
            String status = field(done.body(), "status");
            if (!"queued".equals(status) && !"running".equals(status)) {
                System.out.println("Deployment #" + id + " " + status + ": " + field(done.body(), "reason"));
                return "succeeded".equals(status) ? 0 : 1;
            }
            Thread.sleep(200);
        }
        System.err.println("edgestack: deployment #" + id + " is still running; see bin/edgestack releases");
        return 1;
    }

    private static int rollback(String site, String release) throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> response = send("POST", "/api/rollback", json("site", site, "release", release));
        if (response.statusCode() != 200) {
            return problem("rollback", response);
        }
        System.out.printf("Rolled back in %d ms: %s%n", (System.nanoTime() - start) / 1_000_000,
                field(response.body(), "reason"));
        return 0;
    }

    private static int lock(String site, String reason) throws Exception {
        HttpResponse<String> response = send("POST", "/api/lock", json("site", site, "reason", reason));
        if (response.statusCode() != 200) {
            return problem("lock", response);
        }
        System.out.println("Deploys of " + field(response.body(), "site") + " locked: " + field(response.body(), "reason")
                + " (bin/edgestack unlock to deploy again; rollbacks still work)");
        return 0;
    }

    private static int showLock(String site) throws Exception {
        HttpResponse<String> response = send("GET", "/api/lock" + (site == null ? "" : "?site=" + site), null);
        if (response.statusCode() != 200) {
            return problem("lock", response);
        }
        System.out.println("true".equals(field(response.body(), "locked"))
                ? "Deploys of " + field(response.body(), "site") + " are locked by " + field(response.body(), "lockedBy")
                        + " since " + field(response.body(), "lockedAt") + ": " + field(response.body(), "reason")
                : "Deploys of " + field(response.body(), "site") + " are not locked");
        return 0;
    }

    private static int usage(String usage) {
        System.err.println("usage: " + usage);
        return 2;
    }

    private static int startMaintenance(String site, String message) throws Exception {
        HttpResponse<String> response = send("POST", "/api/maintenance", json("site", site, "message",
                message.isBlank() ? null : message));
        if (response.statusCode() != 200) {
            return problem("maintenance", response);
        }
        System.out.println(field(response.body(), "site") + " is in maintenance: its visitors get 503 with \""
                + field(response.body(), "message") + "\" (bin/edgestack maintenance off to open it again)");
        return 0;
    }

    private static int showMaintenance(String site) throws Exception {
        HttpResponse<String> response = send("GET", "/api/maintenance" + (site == null ? "" : "?site=" + site), null);
        if (response.statusCode() != 200) {
            return problem("maintenance", response);
        }
        System.out.println("true".equals(field(response.body(), "maintenance"))
                ? field(response.body(), "site") + " is in maintenance since " + field(response.body(), "since") + " ("
                        + field(response.body(), "by") + "): " + field(response.body(), "message")
                : field(response.body(), "site") + " is live");
        return 0;
    }

    private static int endMaintenance(String site) throws Exception {
        HttpResponse<String> response = send("DELETE", "/api/maintenance" + (site == null ? "" : "?site=" + site), null);
        if (response.statusCode() != 200) {
            return problem("maintenance", response);
        }
        System.out.println(field(response.body(), "site") + ("true".equals(field(response.body(), "ended"))
                ? " is live again" : " was not in maintenance"));
        return 0;
    }

    private static int unlock(String site) throws Exception {
        HttpResponse<String> response = send("DELETE", "/api/lock" + (site == null ? "" : "?site=" + site), null);
        if (response.statusCode() != 200) {
            return problem("unlock", response);
        }
        System.out.println("Deploys of " + field(response.body(), "site") + " unlocked");
        return 0;
    }

    private static int releases(String site) throws Exception {
        HttpRequest request = request("/api/releases" + (site == null ? "" : "?site=" + site)).header("Accept", "text/plain")
                .GET().build();
        HttpResponse<String> response = call(request);
        if (response.statusCode() != 200) {
            return problem("releases", response);
        }
        System.out.print(response.body());
        return 0;
    }

    private static HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder builder = request(path).header("Content-Type", "application/json");
        builder.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return call(builder.build());
    }

    private static HttpResponse<String> call(HttpRequest request) throws Exception {
        try {
            return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            String why = e.getMessage() != null ? e.getMessage() : e.getCause() != null && e.getCause().getMessage() != null
                    ? e.getCause().getMessage() : e.getClass().getSimpleName();
            System.err.println("edgestack: deploy-service at " + base + " does not answer (" + why
                    + "); is the suite up? (bin/edgestack status)");
            System.exit(1);
            return null;
        }
    }

    private static HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(30))
                .header("Authorization", "Bearer " + token)
                .header("X-Edgestack-Actor", System.getenv().getOrDefault("EDGESTACK_ACTOR", "cli") + " "
                        + System.getProperty("user.name", "unknown"));
    }

    private static int problem(String what, HttpResponse<String> response) {
        String detail = field(response.body(), "detail");
        System.err.println("edgestack: " + what + " refused (" + response.statusCode() + "): "
                + (detail == null ? response.body() : detail));
        return 1;
    }

    private static String json(String k1, String v1, String k2, String v2) {
        StringBuilder out = new StringBuilder("{");
        if (v1 != null) {
            out.append('"').append(k1).append("\":\"").append(escape(v1)).append('"');
        }
        if (v2 != null) {
            out.append(out.length() > 1 ? "," : "").append('"').append(k2).append("\":\"").append(escape(v2)).append('"');
        }
        return out.append('}').toString();
    }

    private static String escape(String text) {
        return text.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*(\"((?:[^\"\\\\]|\\\\.)*)\"|-?[0-9]+|null|true|false)").matcher(json);
        if (!m.find()) {
            return null;
        }
        return m.group(2) != null ? m.group(2).replace("\\\"", "\"") : "null".equals(m.group(1)) ? null : m.group(1);
    }
}
