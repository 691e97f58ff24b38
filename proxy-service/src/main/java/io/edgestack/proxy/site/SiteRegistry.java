package io.edgestack.proxy.site;

import java.util.concurrent.atomic.AtomicReference;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.edgestack.proxy.config.ProxyConfig;
import io.quarkus.runtime.StartupEvent;

/**
 * The sites in force. Loaded at start: an invalid sites file stops the service with the key and the problem.
 */
@ApplicationScoped
public class SiteRegistry {

    private static final Logger LOG = Logger.getLogger(SiteRegistry.class);

    private final ProxyConfig config;
    private final AtomicReference<Sites> current = new AtomicReference<>();

    public SiteRegistry(ProxyConfig config) {
        this.config = config;
    }

    void load(@Observes StartupEvent event) {
        Sites sites = config.sitesFile()
                .map(file -> SitesLoader.load(file, config.defaultSite()))
                .orElseGet(() -> SitesLoader.defaults(config.defaultSite()));
        current.set(sites);
        LOG.infof("Serving %d site(s): %s (default: %s)", sites.all().size(),
                String.join(", ", sites.all().stream().map(Site::name).toList()), sites.fallback().name());
    }

    public Sites sites() {
        Sites sites = current.get();
        if (sites == null) {
            // Requests may arrive before the startup event in tests; load lazily then.
            load(null);
            sites = current.get();
        }
        return sites;
    }
}
