package io.edgestack.proxy;

import static io.restassured.RestAssured.given;

import java.net.URL;

/** Reads proxy-service's Prometheus metrics from its management port in tests. */
public final class ManagementMetrics {

    private ManagementMetrics() {
    }

    /** The sum of the values of the metric lines that start with {@code metric} (name and "{") and hold {@code label}. */
    public static double sum(URL management, String metric, String label) {
        return io.edgestack.testkit.PrometheusText.sum(given().accept("text/plain").get(management + "metrics").asString(),
                metric, label);
    }
}
