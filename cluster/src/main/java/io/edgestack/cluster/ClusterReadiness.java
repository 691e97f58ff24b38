package io.edgestack.cluster;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * The event bus in the readiness details. Always up: a service without its peers still does its own job (it serves,
 * deploys, checks); what it cannot do is hear the others' events, and that is what the details say.
 */
@Readiness
@ApplicationScoped
public class ClusterReadiness implements HealthCheck {

    @Inject
    SuiteCluster cluster;

    @Override
    public HealthCheckResponse call() {
        ClusterSettings settings = cluster.settings();
        String state = cluster.state();
        HealthCheckResponseBuilder builder = HealthCheckResponse.named("cluster").up().withData("state", state);
        if (settings.enabled()) {
            builder.withData("name", settings.name()).withData("members", cluster.members())
                    .withData("discovery", settings.discovery()).withData("joinMillis", cluster.joinMillis());
            switch (state) {
                case "alone" -> builder.withData("detail", "no other member found yet: this service's own work goes on,"
                        + " events from and to the others are not delivered");
                case "isolated" -> builder.withData("detail", "the join failed: this member runs on its own, events"
                        + " stay in this process until it is restarted (see the log)");
                case "left" -> builder.withData("detail", "this member left the cluster: events are local only");
                default -> { }
            }
        } else {
            builder.withData("detail", "clustering is off (edgestack.cluster.enabled=false): events stay in this process");
        }
        return builder.build();
    }
}
