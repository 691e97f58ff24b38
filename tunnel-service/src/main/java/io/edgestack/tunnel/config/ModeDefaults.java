package io.edgestack.tunnel.config;

import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.common.MapBackedConfigSource;

/**
 * Port defaults that depend on {@code edgestack.tunnel.mode}: an edge serves visitors on 8080 with management on
 * 9080; a connector has no public port and management on 9084. These defaults sit below application.properties,
 * so anything the user sets (properties, env, system properties) wins.
 */
public class ModeDefaults implements ConfigSourceFactory {

    static final int ORDINAL = 240;

    @Override
    public Iterable<org.eclipse.microprofile.config.spi.ConfigSource> getConfigSources(ConfigSourceContext context) {
        ConfigValue mode = context.getValue("edgestack.tunnel.mode");
        boolean connector = mode != null && mode.getValue() != null && mode.getValue().trim().equalsIgnoreCase("connector");
        Map<String, String> defaults = connector
                ? Map.of("quarkus.http.host-enabled", "false", "quarkus.management.port", "9084")
                : Map.of("quarkus.http.port", "8080", "quarkus.management.port", "9080");
        return List.of(new MapBackedConfigSource("edgestack tunnel mode defaults", defaults, ORDINAL) {
        });
    }

    @Override
    public OptionalInt getPriority() {
        return OptionalInt.of(ORDINAL);
    }
}
