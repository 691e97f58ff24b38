import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Used by bin/edgestack: empties proxy-service's edge cache through its admin API, as Cloudflare's "Purge Cache" button
 * does. The admin token is read from a file so that it never shows in a process list.
 *
 *   java Purge.java <proxy admin url> <admin token file> <public host[,host...]> [--everything | URL or /path ... |
 *                   --prefix P ... | --tag T ... | --host H ...]
 *
 * A path (/blog/) is the URL of every public host of the suite (visitors reach the site under each one).
 */
public class Purge {

    public static void main(String[] args) throws Exception {
        String admin = Files.readString(Path.of(args[1])).trim();
        List<String> hosts = List.of(args[2].split(","));
        String field = null;
        List<String> targets = new ArrayList<>();
        for (int i = 3; i < args.length; i++) {
            String arg = args[i];
            String kind = switch (arg) {
                case "--everything" -> "everything";
                case "--prefix" -> "prefixes";
                case "--tag" -> "tags";
                case "--host" -> "hosts";
                default -> arg.startsWith("--") ? usage("unknown option " + arg) : "urls";
            };
            if (field != null && !field.equals(kind)) {
                usage("one kind of purge at a time (" + field + " and " + kind + ")");
            }
            field = kind;
            if (kind.equals("everything")) {
                continue;
            }
            String value = kind.equals("urls") ? arg : i + 1 < args.length ? args[++i] : usage(arg + " needs a value");
            if (kind.equals("urls") && value.startsWith("/")) {
                for (String host : hosts) {
                    targets.add("http://" + host + value);
                }
            } else {
                targets.add(value);
            }
        }
        if (field == null) {
            usage("say what to purge");
        }
        StringBuilder body = new StringBuilder("{\"").append(field).append("\": ");
        if (field.equals("everything")) {
            body.append("true}");
        } else {
            body.append('[');
            for (int i = 0; i < targets.size(); i++) {
                body.append(i == 0 ? "" : ", ").append('"').append(targets.get(i).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            }
            body.append("]}");
        }
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(args[0] + "/admin/purge")).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
        HttpResponse<String> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            System.err.println("edgestack: proxy-service's admin API at " + args[0] + " does not answer (" + e.getMessage() + ")");
            System.exit(1);
            return;
        }
        Matcher purged = Pattern.compile("\"purged\"\\s*:\\s*(\\d+)").matcher(response.body());
        if (response.statusCode() != 200 || !purged.find()) {
            Matcher detail = Pattern.compile("\"detail\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(response.body());
            System.err.println("edgestack: the purge was refused (" + response.statusCode() + "): "
                    + (detail.find() ? detail.group(1).replace("\\\"", "\"") : response.body()));
            System.exit(1);
        }
        System.out.println("Purged " + purged.group(1) + " cache entr" + (purged.group(1).equals("1") ? "y" : "ies") + " ("
                + (field.equals("everything") ? "everything" : field + " " + String.join(", ", targets))
                + "); every replica on the event bus does the same");
    }

    private static String usage(String problem) {
        System.err.println("edgestack: " + problem + "\nusage: bin/edgestack purge --everything | URL or /path ... | "
                + "--prefix host/path ... | --tag T ... | --host H ...");
        System.exit(2);
        return null;
    }
}
