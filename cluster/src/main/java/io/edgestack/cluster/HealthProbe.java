package io.edgestack.cluster;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;

/**
 * The container health check of every edgestack image, so that an image needs no shell and no curl: it asks a health
 * endpoint on the management port and exits 0 when it answers 200, 1 otherwise (with one line saying why).
 *
 * <pre>java -cp '/deployments/lib/main/*' io.edgestack.cluster.HealthProbe [url]</pre>
 *
 * Without a URL it asks {@code http://127.0.0.1:$QUARKUS_MANAGEMENT_PORT/q/health/ready} (port 9000 when unset).
 */
public final class HealthProbe {

    private HealthProbe() {
    }

    public static void main(String[] args) {
        String url = args.length > 0 ? args[0]
                : "http://127.0.0.1:" + System.getenv().getOrDefault("QUARKUS_MANAGEMENT_PORT", "9000") + "/q/health/ready";
        int status = probe(url);
        System.out.println(url + " -> " + (status > 0 ? String.valueOf(status) : "no answer"));
        System.exit(status == 200 ? 0 : 1);
    }

    /** The HTTP status of a GET of {@code url}, or -1 when nothing answers within 3 s. */
    static int probe(String url) {
        try {
            HttpURLConnection connection = (HttpURLConnection) URI.create(url).toURL().openConnection();
            connection.setConnectTimeout(3000);
            connection.setReadTimeout(3000);
            connection.setRequestProperty("Accept", "application/json");
            try {
                connection.getInputStream().readAllBytes();
            } catch (IOException e) {
                // a 503 lands here; the status is still known
            }
            return connection.getResponseCode();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
