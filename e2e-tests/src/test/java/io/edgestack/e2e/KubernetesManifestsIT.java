package io.edgestack.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * k8s/ without a cluster: rendered by {@code kubectl kustomize} (with secrets.env made from its example), every object
 * parsed into the fabric8 Kubernetes model, and the cross-references a cluster would only reveal at run time
 * checked: selectors and pod labels, probe and Service ports, ConfigMaps, Secrets and claims, the addresses written in
 * the services' configuration, the event bus's headless Service, and the Prometheus operator objects.
 */
class KubernetesManifestsIT {

    private static final Path K8S = Cli.repositoryRoot().resolve("k8s");
    private static final String NAMESPACE = "edgestack";
    private static List<HasMetadata> objects;

    @BeforeAll
    static void render() throws Exception {
        Path copy = Files.createTempDirectory("k8s");
        try (Stream<Path> files = Files.list(K8S)) {
            for (Path file : files.toList()) {
                Files.copy(file, copy.resolve(file.getFileName().toString()));
            }
        }
        Files.copy(copy.resolve("secrets.env.example"), copy.resolve("secrets.env"));
        Process kubectl = new ProcessBuilder("kubectl", "kustomize", copy.toString()).redirectErrorStream(false).start();
        String yaml = new String(kubectl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String errors = new String(kubectl.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(kubectl.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, kubectl.exitValue(), errors);
        KubernetesSerialization serialization = new KubernetesSerialization();
        objects = new ArrayList<>();
        for (String document : yaml.split("(?m)^---$")) {
            if (!document.isBlank()) {
                objects.add(serialization.unmarshal(document));
            }
        }
        System.out.printf("k8s/: %d objects: %s%n", objects.size(), objects.stream()
                .collect(Collectors.groupingBy(HasMetadata::getKind, java.util.TreeMap::new, Collectors.counting())));
    }

    private static <T extends HasMetadata> List<T> all(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    private static <T extends HasMetadata> T named(Class<T> type, String name) {
        return all(type).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(type.getSimpleName() + " " + name + " is not in k8s/"));
    }

    @Test
    void everyObjectIsInTheNamespaceAndKnownToTheModel() {
        assertTrue(objects.size() >= 35, "objects: " + objects.size());
        for (HasMetadata object : objects) {
            if (!object.getKind().equals("Namespace")) {
                assertEquals(NAMESPACE, object.getMetadata().getNamespace(), object.getKind() + " " + object.getMetadata().getName());
            }
            boolean crd = object.getApiVersion().startsWith("monitoring.coreos.com/");
            assertEquals(crd, object instanceof GenericKubernetesResource, object.getKind() + " parsed into its model class");
        }
        assertEquals(Set.of("edge", "connector", "proxy", "deploy", "monitor"),
                all(Deployment.class).stream().map(d -> d.getMetadata().getName()).collect(Collectors.toSet()));
    }

    @Test
    void deploymentsSelectTheirPodsAndRunLockedDownWithProbesAndLimits() {
        for (Deployment deployment : all(Deployment.class)) {
            String name = deployment.getMetadata().getName();
            Map<String, String> labels = deployment.getSpec().getTemplate().getMetadata().getLabels();
            assertTrue(matches(deployment.getSpec().getSelector(), labels), name + ": its selector matches its pods");
            var pod = deployment.getSpec().getTemplate().getSpec();
            assertEquals(Boolean.TRUE, pod.getSecurityContext().getRunAsNonRoot(), name + " runs as non-root");
            for (Container container : pod.getContainers()) {
                var security = container.getSecurityContext();
                assertEquals(Boolean.TRUE, security.getReadOnlyRootFilesystem(), name + ": read-only root");
                assertEquals(Boolean.FALSE, security.getAllowPrivilegeEscalation(), name);
                assertEquals(List.of("ALL"), security.getCapabilities().getDrop(), name);
                for (String kind : List.of("requests", "limits")) {
                    var quantities = kind.equals("requests") ? container.getResources().getRequests()
                            : container.getResources().getLimits();
                    assertTrue(quantities.containsKey("cpu") && quantities.containsKey("memory"), name + " " + kind);
                }
                Set<String> ports = container.getPorts().stream().map(ContainerPort::getName).collect(Collectors.toSet());
                for (Probe probe : new Probe[] {container.getStartupProbe(), container.getLivenessProbe(),
                        container.getReadinessProbe()}) {
                    assertNotNull(probe, name + " has startup, liveness and readiness probes");
                    assertTrue(ports.contains(probe.getHttpGet().getPort().getStrVal()), name + ": probe port exists");
                    assertEquals("management", probe.getHttpGet().getPort().getStrVal(), name + ": probes on management");
                    assertTrue(probe.getHttpGet().getPath().startsWith("/q/health/"), name);
                }
                assertTrue(ports.containsAll(Set.of("management", "hazelcast", "event-bus")), name + " " + ports);
                // every ConfigMap, Secret and claim it names is in k8s/
                for (var from : container.getEnvFrom()) {
                    if (from.getConfigMapRef() != null) {
                        named(ConfigMap.class, from.getConfigMapRef().getName());
                    }
                    if (from.getSecretRef() != null) {
                        named(Secret.class, from.getSecretRef().getName());
                    }
                }
                assertTrue(container.getEnv().stream().anyMatch(e -> e.getName().equals("EDGESTACK_CLUSTER_HOST")
                        && e.getValueFrom().getFieldRef().getFieldPath().equals("status.podIP")),
                        name + " announces its pod IP to the event bus");
                Set<String> volumes = pod.getVolumes().stream().map(v -> v.getName()).collect(Collectors.toSet());
                container.getVolumeMounts().forEach(m -> assertTrue(volumes.contains(m.getName()), name + ": " + m.getName()));
            }
            for (var volume : pod.getVolumes()) {
                if (volume.getConfigMap() != null) {
                    named(ConfigMap.class, volume.getConfigMap().getName());
                }
                if (volume.getPersistentVolumeClaim() != null) {
                    named(PersistentVolumeClaim.class, volume.getPersistentVolumeClaim().getClaimName());
                }
            }
        }
        // single-writer services are replaced, never doubled
        for (String single : List.of("deploy", "monitor")) {
            Deployment deployment = named(Deployment.class, single);
            assertEquals(1, deployment.getSpec().getReplicas());
            assertEquals("Recreate", deployment.getSpec().getStrategy().getType());
        }
        assertEquals(List.of("ReadWriteMany"), named(PersistentVolumeClaim.class, "releases").getSpec().getAccessModes(),
                "deploy-service writes the releases every proxy replica reads");
        // the monitor's ping checks send with an unprivileged ICMP socket: its pod's groups may open one
        assertTrue(named(Deployment.class, "monitor").getSpec().getTemplate().getSpec().getSecurityContext().getSysctls()
                .stream().anyMatch(s -> s.getName().equals("net.ipv4.ping_group_range") && s.getValue().equals("0 2147483647")),
                "monitor pod: net.ipv4.ping_group_range");
    }

    @Test
    void servicesSelectPodsThatHaveTheirTargetPorts() {
        for (Service service : all(Service.class)) {
            Map<String, String> selector = service.getSpec().getSelector();
            List<Deployment> selected = selectedBy(selector);
            assertFalse(selected.isEmpty(), "Service " + service.getMetadata().getName() + " selects pods");
            for (ServicePort port : service.getSpec().getPorts()) {
                for (Deployment deployment : selected) {
                    assertTrue(hasPort(deployment, port.getTargetPort()), "Service " + service.getMetadata().getName()
                            + " port " + port.getName() + " → " + deployment.getMetadata().getName());
                }
            }
        }
    }

    @Test
    void theEventBusMembersFindEachOtherThroughTheHeadlessService() {
        Service cluster = named(Service.class, "edgestack-cluster");
        assertEquals("None", cluster.getSpec().getClusterIP(), "headless: one DNS record per pod");
        assertEquals(Boolean.TRUE, cluster.getSpec().getPublishNotReadyAddresses(), "starting members are found");
        assertEquals(5, selectedBy(cluster.getSpec().getSelector()).size(), "all five services are members");
        Map<String, String> common = named(ConfigMap.class, "edgestack-common").getData();
        assertEquals("edgestack-cluster." + NAMESPACE + ".svc.cluster.local", common.get("EDGESTACK_CLUSTER_KUBERNETES_SERVICE_DNS"));
        assertEquals("true", common.get("EDGESTACK_CLUSTER_ENABLED"));
        assertEquals(String.valueOf(port(cluster, "hazelcast")), common.get("EDGESTACK_CLUSTER_PORT"));
        assertEquals(String.valueOf(port(cluster, "event-bus")), common.get("EDGESTACK_CLUSTER_BUS_PORT"));
        for (Deployment deployment : all(Deployment.class)) {
            int hazelcast = containerPort(deployment, "hazelcast");
            assertEquals(common.get("EDGESTACK_CLUSTER_PORT"), String.valueOf(hazelcast));
            assertEquals(common.get("EDGESTACK_CLUSTER_BUS_PORT"), String.valueOf(containerPort(deployment, "event-bus")));
            assertEquals(common.get("QUARKUS_MANAGEMENT_PORT"), String.valueOf(containerPort(deployment, "management")));
        }
    }

    @Test
    void addressesInTheServicesConfigurationPointAtServicesAndTheirPorts() {
        Pattern address = Pattern.compile("([a-z0-9-]+)\\." + NAMESPACE + "\\.svc\\.cluster\\.local(?::(\\d+))?");
        int found = 0;
        for (ConfigMap config : all(ConfigMap.class)) {
            for (String value : config.getData().values()) {
                Matcher matcher = address.matcher(value);
                while (matcher.find()) {
                    found++;
                    Service service = named(Service.class, matcher.group(1));
                    if (matcher.group(2) == null && "None".equals(service.getSpec().getClusterIP())) {
                        continue; // a headless Service's name for discovery, not an address to connect to
                    }
                    int port = matcher.group(2) == null ? 80 : Integer.parseInt(matcher.group(2));
                    assertTrue(service.getSpec().getPorts().stream().anyMatch(p -> p.getPort() == port),
                            config.getMetadata().getName() + ": " + matcher.group() + " is a port of Service " + matcher.group(1));
                }
            }
        }
        assertTrue(found >= 6, "addresses checked: " + found);
        for (Deployment deployment : all(Deployment.class)) {
            String config = deployment.getSpec().getTemplate().getSpec().getVolumes().stream()
                    .filter(v -> v.getName().equals("config")).findFirst().orElseThrow().getConfigMap().getName();
            assertTrue(named(ConfigMap.class, config).getData().containsKey("application.properties"), config);
        }
    }

    @Test
    void disruptionBudgetsAutoscalersAndNetworkPoliciesReferToRealPods() {
        for (PodDisruptionBudget budget : all(PodDisruptionBudget.class)) {
            assertEquals(1, selectedBy(budget.getSpec().getSelector()).size(), budget.getMetadata().getName());
        }
        Set<String> scaled = new HashSet<>();
        for (HorizontalPodAutoscaler autoscaler : all(HorizontalPodAutoscaler.class)) {
            var target = autoscaler.getSpec().getScaleTargetRef();
            assertEquals("Deployment", target.getKind());
            named(Deployment.class, target.getName());
            scaled.add(target.getName());
        }
        assertEquals(Set.of("edge", "proxy"), scaled);
        for (NetworkPolicy policy : all(NetworkPolicy.class)) {
            List<Deployment> pods = selectedBy(policy.getSpec().getPodSelector());
            assertFalse(pods.isEmpty(), "NetworkPolicy " + policy.getMetadata().getName() + " selects pods");
            for (var rule : policy.getSpec().getIngress()) {
                for (NetworkPolicyPort port : rule.getPorts()) {
                    for (Deployment deployment : pods) {
                        assertTrue(hasPort(deployment, port.getPort()), policy.getMetadata().getName() + ": "
                                + port.getPort() + " on " + deployment.getMetadata().getName());
                    }
                }
                for (NetworkPolicyPeer peer : rule.getFrom()) {
                    if (peer.getPodSelector() != null) {
                        assertFalse(selectedBy(peer.getPodSelector()).isEmpty(), policy.getMetadata().getName() + " from");
                    }
                }
            }
        }
        // nothing is reachable unless a policy says so
        NetworkPolicy deny = named(NetworkPolicy.class, "default-deny-ingress");
        assertTrue(deny.getSpec().getPodSelector().getMatchLabels() == null || deny.getSpec().getPodSelector().getMatchLabels().isEmpty());
        assertTrue(deny.getSpec().getIngress() == null || deny.getSpec().getIngress().isEmpty());
    }

    @Test
    void prometheusScrapesEveryServiceAndAlertsWithTheRepositoryRules() throws IOException {
        GenericKubernetesResource monitor = (GenericKubernetesResource) objects.stream()
                .filter(o -> o.getKind().equals("ServiceMonitor")).findFirst().orElseThrow();
        @SuppressWarnings("unchecked")
        Map<String, String> labels = (Map<String, String>) ((Map<String, Object>) ((Map<String, Object>) monitor
                .getAdditionalProperties().get("spec")).get("selector")).get("matchLabels");
        List<Service> scraped = all(Service.class).stream()
                .filter(s -> s.getMetadata().getLabels() != null && s.getMetadata().getLabels().entrySet().containsAll(labels.entrySet()))
                .toList();
        assertEquals(Set.of("edge", "connector", "proxy", "deploy", "monitor"), scraped.stream()
                .flatMap(s -> selectedBy(s.getSpec().getSelector()).stream()).map(d -> d.getMetadata().getName())
                .collect(Collectors.toSet()), "one scraped Service per process");
        scraped.forEach(s -> assertTrue(s.getSpec().getPorts().stream().anyMatch(p -> p.getName().equals("management"))));

        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        GenericKubernetesResource rule = (GenericKubernetesResource) objects.stream()
                .filter(o -> o.getKind().equals("PrometheusRule")).findFirst().orElseThrow();
        JsonNode inCluster = yaml.valueToTree(rule.getAdditionalProperties().get("spec")).path("groups");
        JsonNode inRepository = yaml.readTree(Cli.repositoryRoot().resolve("monitoring/prometheus/rules/edgestack.yml")
                .toFile()).path("groups");
        assertEquals(inRepository, inCluster, "k8s/prometheusrule.yaml carries monitoring/prometheus/rules/edgestack.yml");
    }

    // ------------------------------------------------------------------ helpers

    private static List<Deployment> selectedBy(Map<String, String> selector) {
        assertTrue(selector != null && !selector.isEmpty());
        return all(Deployment.class).stream().filter(d -> d.getSpec().getTemplate().getMetadata().getLabels().entrySet()
                .containsAll(selector.entrySet())).toList();
    }

    private static List<Deployment> selectedBy(LabelSelector selector) {
        return all(Deployment.class).stream().filter(d -> matches(selector, d.getSpec().getTemplate().getMetadata().getLabels()))
                .toList();
    }

    private static boolean matches(LabelSelector selector, Map<String, String> labels) {
        if (selector.getMatchLabels() != null && !labels.entrySet().containsAll(selector.getMatchLabels().entrySet())) {
            return false;
        }
        for (LabelSelectorRequirement requirement : selector.getMatchExpressions()) {
            String value = labels.get(requirement.getKey());
            boolean ok = switch (requirement.getOperator()) {
                case "In" -> requirement.getValues().contains(value);
                case "NotIn" -> !requirement.getValues().contains(value);
                case "Exists" -> value != null;
                case "DoesNotExist" -> value == null;
                default -> throw new AssertionError("operator " + requirement.getOperator());
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static boolean hasPort(Deployment deployment, IntOrString port) {
        return deployment.getSpec().getTemplate().getSpec().getContainers().stream().flatMap(c -> c.getPorts().stream())
                .anyMatch(p -> port.getStrVal() != null ? port.getStrVal().equals(p.getName())
                        : Objects.equals(port.getIntVal(), p.getContainerPort()));
    }

    private static int containerPort(Deployment deployment, String name) {
        return deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getPorts().stream()
                .filter(p -> p.getName().equals(name)).findFirst().orElseThrow().getContainerPort();
    }

    private static int port(Service service, String name) {
        return service.getSpec().getPorts().stream().filter(p -> p.getName().equals(name)).findFirst().orElseThrow().getPort();
    }
}
