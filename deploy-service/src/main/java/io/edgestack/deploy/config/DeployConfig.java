package io.edgestack.deploy.config;

import java.nio.file.Path;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * deploy-service configuration, under {@code edgestack.deploy}.
 */
@ConfigMapping(prefix = "edgestack.deploy")
public interface DeployConfig {

    /** Folder where each site's immutable releases and its {@code current} pointer are written (proxy-service reads it). */
    @WithDefault("data/releases")
    Path releasesRoot();

    /** Folder holding the kept git checkouts and the build logs. */
    @WithDefault("data/workspace")
    Path workspace();

    /** The site deployed when no other is named. */
    Site site();

    interface Site {
        /** Site name, used in release paths and events. */
        @WithDefault("example")
        String name();

        /** Git repository to deploy from: a local path, file:, https: or ssh: URL. */
        @WithDefault("data/site-repo")
        String repository();

        /** Branch whose pushes are deployed. */
        @WithDefault("main")
        String branch();
    }
}
