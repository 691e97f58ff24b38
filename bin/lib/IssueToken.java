import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Used by bin/edgestack: asks the tunnel edge's admin API for a connector token and prints it. The admin token is read
 * from a file so that it never shows in a process list.
 *
 *   java IssueToken.java <edge admin url> <tunnel id> <admin token file> [ttl]
 */
public class IssueToken {
    public static void main(String[] args) throws Exception {
        String url = args[0] + "/admin/tunnels/" + args[1] + "/tokens";
        String admin = Files.readString(Path.of(args[2])).trim();
        String body = args.length > 3 ? "{\"ttl\": \"" + args[3].replace("\"", "") + "\"}" : "{}";
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
                .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            System.err.println("edgestack: the edge admin API at " + args[0] + " does not answer (" + e.getMessage() + ")");
            System.exit(1);
            return;
        }
        Matcher token = Pattern.compile("\"token\"\\s*:\\s*\"([^\"]+)\"").matcher(response.body());
        if (response.statusCode() != 201 || !token.find()) {
            System.err.println("edgestack: the edge refused to issue a token (" + response.statusCode() + "): " + response.body());
            System.exit(1);
        }
        System.out.println(token.group(1));
    }
}
