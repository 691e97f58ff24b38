package io.edgestack.deploy.config;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Configuration objects for plain unit tests (no Quarkus): the values a test gives, {@code Optional.empty()} for every
 * optional key it leaves out, and a clear failure for a required key it forgot.
 */
public final class TestConfigs {

    private TestConfigs() {
    }

    /** A {@link DeployConfig} whose releases and workspace are under {@code dir}. */
    public static DeployConfig deploy(Path dir) {
        return of(DeployConfig.class, Map.of("releasesRoot", dir.resolve("releases"), "workspace", dir.resolve("workspace")));
    }

    /** A site of {@code repository} on branch main, with these other values (method name → value). */
    public static DeployConfig.Site site(String repository, Map<String, Object> values) {
        java.util.HashMap<String, Object> all = new java.util.HashMap<>(values);
        all.put("repository", repository);
        all.putIfAbsent("branch", "main");
        all.putIfAbsent("gitUsername", "git");
        return of(DeployConfig.Site.class, all);
    }

    private static <T> T of(Class<T> type, Map<String, Object> values) {
        return type.cast(Proxy.newProxyInstance(TestConfigs.class.getClassLoader(), new Class<?>[] { type },
                (proxy, method, args) -> {
                    Object value = values.get(method.getName());
                    if (method.getReturnType() == Optional.class) {
                        return Optional.ofNullable(value);
                    }
                    if (value == null) {
                        throw new IllegalStateException(type.getSimpleName() + "." + method.getName()
                                + "() has no value in this test: add it to the TestConfigs call");
                    }
                    return value;
                }));
    }
}
