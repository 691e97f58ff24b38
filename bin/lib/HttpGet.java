import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Used by bin/edgestack when curl is not installed: prints a URL's body, or its status with --status. */
public class HttpGet {
    public static void main(String[] args) throws Exception {
        boolean statusOnly = args[0].equals("--status");
        String url = statusOnly ? args[1] : args[0];
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3)).build();
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            System.out.print(statusOnly ? String.valueOf(response.statusCode()) : response.body());
        } catch (java.io.IOException e) {
            if (statusOnly) {
                System.out.print("000");
            } else {
                System.exit(7);
            }
        }
    }
}
