package io.edgestack.testkit;

/** Samples read from a Prometheus text exposition (a service's {@code /q/metrics}). */
public final class PrometheusText {

    private PrometheusText() {
    }

    /** The sum of the values of the sample lines that start with {@code metric} (name and "{") and hold {@code label}. */
    public static double sum(String text, String metric, String label) {
        return text.lines().filter(l -> l.startsWith(metric) && l.contains(label))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
