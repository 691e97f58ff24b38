package io.edgestack.deploy.api;

import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import io.edgestack.deploy.deployment.Deployer;
import io.edgestack.deploy.deployment.DeploymentStore;

/** Errors as RFC 9457 problem details, with a message a person can act on. */
public final class Problems {

    public static final String TYPE = "application/problem+json";

    /** The body of a problem answer. */
    public record Problem(String title, int status, String detail) {
    }

    public static Response of(int status, String title, String detail) {
        return Response.status(status).type(TYPE).entity(new Problem(title, status, detail)).build();
    }

    @ServerExceptionMapper
    public Response unknownSite(Deployer.UnknownSite e) {
        return of(404, "Unknown site", e.getMessage());
    }

    @ServerExceptionMapper
    public Response locked(Deployer.Locked e) {
        return of(423, "Deploys locked", e.getMessage());
    }

    @ServerExceptionMapper
    public Response rollbackRefused(Deployer.RollbackRefused e) {
        return of(409, "Rollback refused", e.getMessage());
    }

    @ServerExceptionMapper
    public Response storage(DeploymentStore.StoreException e) {
        return of(503, "Deployment database unavailable", e.getMessage());
    }

    /** A body that is not JSON, or JSON of another shape: 400 saying where (Quarkus REST answered an empty 400). */
    @ServerExceptionMapper({jakarta.ws.rs.WebApplicationException.class,
        com.fasterxml.jackson.databind.exc.MismatchedInputException.class})
    public Response unreadableBody(Exception e) {
        String detail = io.edgestack.cluster.JsonProblems.detail(e);
        return detail != null ? of(400, "Invalid JSON", detail) : ((jakarta.ws.rs.WebApplicationException) e).getResponse();
    }
}
