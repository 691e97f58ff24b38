package io.edgestack.proxy.config;

import java.nio.file.Path;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * proxy-service configuration, under {@code edgestack.proxy}.
 */
@ConfigMapping(prefix = "edgestack.proxy")
public interface ProxyConfig {

    /** Folder holding each site's releases and its {@code current} pointer, written by deploy-service. */
    @WithDefault("data/releases")
    Path releasesRoot();

    /** Name of the site served when no configured host name matches the request. */
    @WithDefault("example")
    String defaultSite();
}
