package io.edgestack.testkit;

import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * A Quarkus test resource: a {@link PostgresServer} for the services' {@code pg} datasource (the {@code postgresql}
 * profile). Its JDBC URL goes to tests as the system property {@value #URL_PROPERTY} (user {@code edgestack}, no password).
 */
public class PostgresResource implements QuarkusTestResourceLifecycleManager {

    public static final String URL_PROPERTY = "test.pg.url";

    private PostgresServer server;

    @Override
    public Map<String, String> start() {
        try {
            server = PostgresServer.start();
        } catch (Exception e) {
            throw new IllegalStateException("could not start PostgreSQL", e);
        }
        System.setProperty(URL_PROPERTY, server.jdbcUrl());
        return Map.of("quarkus.datasource.pg.jdbc.url", server.jdbcUrl(), "quarkus.datasource.pg.username", "edgestack");
    }

    @Override
    public void stop() {
        try {
            server.close();
        } catch (Exception e) {
            // the folder is temporary
        }
    }
}
