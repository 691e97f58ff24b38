package io.edgestack.cluster;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.eclipse.microprofile.config.Config;

import io.quarkus.runtime.configuration.DurationConverter;

/**
 * What {@code edgestack.cluster.*} says, checked once at start. A bad value stops the service with a message that
 * names the key, like every other edgestack setting.
 *
 * @param enabled whether the service joins the suite's event bus at all
 * @param name the cluster name: members with another name never join (one per suite, per test run)
 * @param host the address this member binds and announces (Hazelcast and the event bus), 127.0.0.1 on one box, the
 *        pod IP in Kubernetes; a host name (a Compose service's) is resolved once at start to its address
 * @param port the first Hazelcast port tried; the next {@code portCount - 1} are tried when it is taken
 * @param portCount how many ports from {@code port} a member may bind and the TCP-IP join probes on each member host
 * @param members TCP-IP join: the hosts (optionally {@code host:port}) where the other members are
 * @param kubernetesServiceDns Kubernetes DNS discovery instead: the headless Service's DNS name
 * @param joinTimeout how long a member looks for the others before it starts alone (it merges with them later)
 * @param busPort the event bus's own TCP port (0: any free port; fixed where network policies name it, as in k8s/)
 */
public record ClusterSettings(boolean enabled, String name, String host, int port, int portCount, List<String> members,
        Optional<String> kubernetesServiceDns, Duration joinTimeout, int busPort) {

    static final String PREFIX = "edgestack.cluster.";
    private static final String DEFAULT_NAME = "edgestack";
    private static final String DEFAULT_HOST = "127.0.0.1";
    private static final int DEFAULT_PORT = 5701;
    private static final int DEFAULT_PORT_COUNT = 20;
    private static final Duration DEFAULT_JOIN_TIMEOUT = Duration.ofSeconds(2);

    public static ClusterSettings from(Config config) {
        boolean enabled = config.getOptionalValue(PREFIX + "enabled", Boolean.class).orElse(false);
        String name = config.getOptionalValue(PREFIX + "name", String.class).orElse(DEFAULT_NAME).strip();
        if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
            throw invalid("name", name, "use 1 to 64 letters, digits, '.', '_' or '-'");
        }
        String host = config.getOptionalValue(PREFIX + "host", String.class).orElse(DEFAULT_HOST).strip();
        if (host.isEmpty() || host.contains(" ") || host.contains("/")) {
            throw invalid("host", host, "give the IP address this member binds and announces (example: 127.0.0.1)");
        }
        host = address(host);
        int port = integer(config, "port", DEFAULT_PORT, 1, 65535);
        int portCount = integer(config, "port-count", DEFAULT_PORT_COUNT, 1, 1000);
        if (port + portCount - 1 > 65535) {
            throw invalid("port-count", String.valueOf(portCount), "port + port-count - 1 must stay under 65536");
        }
        List<String> members = new ArrayList<>();
        for (String member : config.getOptionalValue(PREFIX + "members", String.class).orElse(DEFAULT_HOST).split(",")) {
            String trimmed = member.strip();
            if (trimmed.isEmpty()) {
                continue;
            }
            int colon = trimmed.lastIndexOf(':');
            if (colon > 0 && !trimmed.substring(colon + 1).matches("\\d{1,5}")) {
                throw invalid("members", trimmed, "each member is a host or host:port (example: 127.0.0.1 or 10.0.0.5:5701)");
            }
            members.add(trimmed);
        }
        Optional<String> dns = config.getOptionalValue(PREFIX + "kubernetes.service-dns", String.class)
                .map(String::strip).filter(s -> !s.isEmpty());
        if (enabled && members.isEmpty() && dns.isEmpty()) {
            throw invalid("members", "", "list the hosts of the other members, or set "
                    + PREFIX + "kubernetes.service-dns to discover them in Kubernetes");
        }
        String joinText = config.getOptionalValue(PREFIX + "join-timeout", String.class)
                .orElse(DEFAULT_JOIN_TIMEOUT.toSeconds() + "s").strip();
        Duration joinTimeout;
        try {
            joinTimeout = DurationConverter.parseDuration(joinText);
        } catch (RuntimeException e) {
            throw invalid("join-timeout", joinText, "not a duration (examples: 1s, 500ms)");
        }
        if (joinTimeout == null || joinTimeout.isNegative() || joinTimeout.compareTo(Duration.ofMinutes(5)) > 0) {
            throw invalid("join-timeout", joinTimeout.toString(), "use 0s to 5m");
        }
        int busPort = integer(config, "bus-port", 0, 0, 65535);
        return new ClusterSettings(enabled, name, host, port, portCount, List.copyOf(members), dns, joinTimeout, busPort);
    }

    public static ClusterSettings off() {
        return new ClusterSettings(false, DEFAULT_NAME, DEFAULT_HOST, DEFAULT_PORT, DEFAULT_PORT_COUNT, List.of(DEFAULT_HOST),
                Optional.empty(), DEFAULT_JOIN_TIMEOUT, 0);
    }

    /** How members find each other, for logs and the readiness details. */
    public String discovery() {
        return kubernetesServiceDns.map(dns -> "kubernetes-dns " + dns).orElse("tcp-ip " + String.join(",", members));
    }

    /** An IP literal as it is; a name (in Docker Compose, the service's own name) as the address it resolves to. */
    private static String address(String host) {
        if (host.matches("[0-9.]+") || host.contains(":")) {
            return host;
        }
        try {
            return InetAddress.getByName(host).getHostAddress();
        } catch (UnknownHostException e) {
            throw invalid("host", host, "this name does not resolve; give this member's IP address or a name that "
                    + "resolves to it");
        }
    }

    private static int integer(Config config, String key, int fallback, int min, int max) {
        String text = config.getOptionalValue(PREFIX + key, String.class).orElse(String.valueOf(fallback)).strip();
        try {
            int value = Integer.parseInt(text);
            if (value < min || value > max) {
                throw invalid(key, text, "use " + min + " to " + max);
            }
            return value;
        } catch (NumberFormatException e) {
            throw invalid(key, text, "not a whole number");
        }
    }

    private static IllegalArgumentException invalid(String key, String value, String why) {
        return new IllegalArgumentException(PREFIX + key + ": '" + value + "' is invalid: " + why);
    }
}
