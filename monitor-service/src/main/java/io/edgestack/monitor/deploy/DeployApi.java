package io.edgestack.monitor.deploy;

import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.Path;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** deploy-service's incident endpoint, as much as monitor-service calls (its DTOs declared again here, on purpose). */
@Path("/api")
public interface DeployApi {

    @POST
    @Path("/incidents")
    Decision incident(@HeaderParam("Authorization") String authorization, IncidentReport report);

    public record IncidentReport(String site, String summary, String openedAt) {
    }

    /** Whether a site is in maintenance ({@code bin/edgestack maintenance}), and its message. */
    @GET
    @Path("/maintenance")
    SiteMaintenance maintenance(@HeaderParam("Authorization") String authorization, @QueryParam("site") String site);

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record SiteMaintenance(String site, boolean maintenance, String message) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Decision(String action, String reason, Rollback rollback) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Rollback(long id, String release, String previousRelease) {
    }
}
