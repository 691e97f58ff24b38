package io.edgestack.deploy.purge;

import java.util.List;

import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;

import com.fasterxml.jackson.annotation.JsonInclude;

/** proxy-service's admin API, as much of it as deploy-service calls (its DTOs declared again here, on purpose). */
@Path("/admin")
interface ProxyAdminApi {

    @POST
    @Path("/purge")
    PurgeResult purge(@HeaderParam("Authorization") String authorization, PurgeRequest request);

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record PurgeRequest(Boolean everything, List<String> urls) {
    }

    record PurgeResult(int purged, String kind) {
    }
}
