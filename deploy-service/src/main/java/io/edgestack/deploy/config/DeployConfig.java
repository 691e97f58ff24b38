package io.edgestack.deploy.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * deploy-service configuration, under {@code edgestack.deploy}. Sites are declared under
 * {@code edgestack.deploy.sites.<name>.*}; the bundled one is {@code example}.
 */
@ConfigMapping(prefix = "edgestack.deploy")
public interface DeployConfig {

    /** Folder where each site's immutable releases and its {@code current} pointer are written (proxy-service reads it). */
    @WithDefault("data/releases")
    Path releasesRoot();

    /** Folder holding the kept git checkouts and the build logs. */
    @WithDefault("data/workspace")
    Path workspace();

    /** Site used when a request names none (webhook without {@code ?site=}, CLI without {@code --site}). */
    @WithDefault("example")
    String defaultSite();

    /** Bearer token of {@code /api/*} and of the history page (env EDGESTACK_DEPLOY_API_TOKEN); those are off while unset. */
    Optional<String> apiToken();

    /** Webhook secret of every site that sets none of its own (env EDGESTACK_DEPLOY_WEBHOOK_SECRET). */
    Optional<String> webhookSecret();

    /** How proxy-service is reached for purges and re-warming. */
    Proxy proxy();

    /** The sites, by name. */
    Map<String, Site> sites();

    interface Proxy {
        /** proxy-service admin API (its management port). */
        @WithDefault("http://127.0.0.1:9081")
        String adminUrl();

        /** Bearer token of that admin API (env EDGESTACK_DEPLOY_PROXY_ADMIN_TOKEN); without it purges are skipped and recorded so. */
        Optional<String> adminToken();

        /** proxy-service public URL, used to re-warm purged pages; "none" turns re-warming off. */
        @WithDefault("http://127.0.0.1:8081")
        String publicUrl();
    }

    interface Site {
        /** Git repository to deploy from: a local path, file:, https: or ssh: URL. */
        String repository();

        /** Private key for ssh: repositories (OpenSSH or PEM format); without it, the service user's ~/.ssh keys. */
        Optional<Path> sshKeyFile();

        /** known_hosts file that ssh: repositories' host keys are checked against (strictly); default ~/.ssh/known_hosts. */
        Optional<Path> sshKnownHostsFile();

        /** User name for https: repositories that need one (with {@link #gitPassword()}). */
        @WithDefault("git")
        String gitUsername();

        /** Password or access token for https: repositories. */
        Optional<String> gitPassword();

        /** Branch whose pushes are deployed. */
        @WithDefault("main")
        String branch();

        /** Shell command run in the checkout to build the site (empty: the checkout is the site, as is). */
        Optional<String> buildCommand();

        /** Folder of the build command, relative to the checkout. */
        @WithDefault(".")
        String workingDirectory();

        /** Folder, relative to the checkout, that becomes the release ("." with no build command). */
        @WithDefault(".")
        String outputDirectory();

        /** Extra environment of the build and post-switch commands, {@code build-env.NAME=value}. */
        Map<String, String> buildEnv();

        /** The build is stopped and the deployment failed after this long. */
        @WithDefault("10m")
        Duration buildTimeout();

        /** Paths that must map to a file of the new release before the switch (index.html is always checked). */
        @WithDefault("/")
        List<String> healthPaths();

        /** How many releases to keep (the live one and the rollback target are always kept). */
        @WithDefault("10")
        int keepReleases();

        /** Public host names (with port when not 80/443) whose cached URLs are purged after a switch. */
        @WithDefault("localhost:8080,127.0.0.1:8080")
        List<String> publicHosts();

        /** More changed URLs than this and the whole cache is purged instead. */
        @WithDefault("500")
        int maxPurgeUrls();

        /** Command run after each switch, in the checkout (for a running app: restart it). */
        Optional<String> postSwitchCommand();

        /** Webhook secret of this site (GitHub/Gitea HMAC key, GitLab token); the global one when unset. */
        Optional<String> webhookSecret();

        /** Deploy the branch's head at start when the site has no live release yet. */
        @WithDefault("true")
        boolean deployOnStart();

        /** An incident reported this soon after a deploy rolls it back automatically ("0s": never). */
        @WithDefault("5m")
        Duration rollbackWindow();
    }
}
