package io.edgestack.deploy.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Starts what deploy-service talks to in tests (a real git repository, a recording proxy) and points it at them. The
 * fixture's folder is handed to the test through the system property {@code test.deploy.root}.
 */
public class DeployTestResource implements QuarkusTestResourceLifecycleManager {

    public static final String API_TOKEN = "api-token-for-tests";
    public static final String WEBHOOK_SECRET = "webhook-secret-for-tests";
    public static final String PROXY_TOKEN = "proxy-token-for-tests";

    private SiteFixture fixture;

    @Override
    public Map<String, String> start() {
        try {
            Path root = Files.createTempDirectory("deploy-test-");
            System.setProperty("test.deploy.root", root.toString());
            fixture = new SiteFixture(root).init();
            int proxy = fixture.startProxy();
            Map<String, String> config = new HashMap<>();
            config.put("edgestack.deploy.releases-root", root.resolve("releases").toString());
            config.put("edgestack.deploy.workspace", root.resolve("workspace").toString());
            config.put("edgestack.deploy.api-token", API_TOKEN);
            config.put("edgestack.deploy.webhook-secret", WEBHOOK_SECRET);
            config.put("edgestack.deploy.proxy.admin-url", "http://127.0.0.1:" + proxy);
            config.put("edgestack.deploy.proxy.admin-token", PROXY_TOKEN);
            config.put("edgestack.deploy.proxy.public-url", "http://127.0.0.1:" + proxy);
            config.put("edgestack.deploy.sites.example.repository", fixture.repository.toString());
            config.put("edgestack.deploy.sites.example.build-command", "sh build.sh");
            config.put("edgestack.deploy.sites.example.output-directory", "dist");
            config.put("edgestack.deploy.sites.example.health-paths", "/,/blog/");
            config.put("edgestack.deploy.sites.example.public-hosts", "site.test");
            config.put("edgestack.deploy.sites.example.build-timeout", "30s");
            config.put("edgestack.deploy.sites.example.deploy-on-start", "true");
            config.put("edgestack.deploy.sites.example.keep-releases", "4");
            config.put("edgestack.deploy.sites.example.build-env.GREETING", "hello from the config");
            config.put("edgestack.deploy.sites.example.post-switch-command",
                    "echo \"$EDGESTACK_COMMIT $EDGESTACK_RELEASE rollback=$EDGESTACK_ROLLBACK $(basename \"$EDGESTACK_RELEASE_DIR\")\" >> "
                            + root.resolve("post-switch.log"));
            // fault tolerance shortened for tests: the breaker opened by the purge-failure test closes again quickly
            for (String method : new String[] { "purgeUrls", "purgeEverything" }) {
                config.put("io.edgestack.deploy.purge.ProxyClient/" + method + "/CircuitBreaker/delay", "100");
                config.put("io.edgestack.deploy.purge.ProxyClient/" + method + "/CircuitBreaker/delayUnit", "MILLIS");
                config.put("io.edgestack.deploy.purge.ProxyClient/" + method + "/Retry/delay", "20");
                config.put("io.edgestack.deploy.purge.ProxyClient/" + method + "/Retry/jitter", "0");
            }
            config.put("quarkus.datasource.jdbc.url", "jdbc:h2:mem:deploy-flow;DB_CLOSE_DELAY=-1");
            return config;
        } catch (Exception e) {
            throw new IllegalStateException("could not set up the deploy test fixture", e);
        }
    }

    @Override
    public void stop() {
        if (fixture != null) {
            fixture.stopProxy();
        }
    }
}
