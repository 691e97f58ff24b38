package io.edgestack.monitor.api;

import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import io.edgestack.monitor.check.CheckSpec;

/** Errors as RFC 9457 problem details, with a message a person can act on. */
public final class Problems {

    /** The body of a problem answer. */
    public record Problem(String title, int status, String detail) {
    }

    public static Response of(int status, String title, String detail) {
        return Response.status(status).type("application/problem+json").entity(new Problem(title, status, detail)).build();
    }

    @ServerExceptionMapper
    public Response invalidCheck(CheckSpec.Invalid e) {
        return of(400, "Invalid check", e.getMessage());
    }

    /** A body that is not JSON, or JSON of another shape: 400 saying where (Quarkus REST answered an empty 400). */
    @ServerExceptionMapper({jakarta.ws.rs.WebApplicationException.class,
        com.fasterxml.jackson.databind.exc.MismatchedInputException.class})
    public Response unreadableBody(Exception e) {
        String detail = io.edgestack.cluster.JsonProblems.detail(e);
        return detail != null ? of(400, "Invalid JSON", detail) : ((jakarta.ws.rs.WebApplicationException) e).getResponse();
    }
}
