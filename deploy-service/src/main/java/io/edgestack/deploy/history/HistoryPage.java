package io.edgestack.deploy.history;

import java.util.List;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import io.edgestack.deploy.config.DeployConfig;
import io.edgestack.deploy.deployment.Deployer;
import io.edgestack.deploy.deployment.Deployment;
import io.edgestack.deploy.deployment.DeploymentStore;
import io.edgestack.deploy.release.ReleaseStore;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;

/** {@code GET /deployments}: the deployments of a site, newest first, with links to their logs (API token as password). */
@Path("/deployments")
public class HistoryPage {

    private final DeploymentStore store;
    private final ReleaseStore releases;
    private final Deployer deployer;
    private final DeployConfig config;

    public HistoryPage(DeploymentStore store, ReleaseStore releases, Deployer deployer, DeployConfig config) {
        this.store = store;
        this.releases = releases;
        this.deployer = deployer;
        this.config = config;
    }

    @CheckedTemplate
    static class Templates {
        static native TemplateInstance history(String site, String live, List<String> sites, List<Deployment> deployments);
    }

    @GET
    @Produces(MediaType.TEXT_HTML)
    public TemplateInstance page(@QueryParam("site") String siteName) {
        String site = siteName == null ? config.defaultSite() : siteName;
        deployer.site(site);
        return Templates.history(site, releases.live(site), config.sites().keySet().stream().sorted().toList(),
                store.recent(site, 100));
    }
}
