package io.edgestack.monitor.store;

import java.util.Properties;

import org.flywaydb.core.Flyway;

import io.agroal.api.AgroalDataSource;
import io.agroal.api.configuration.supplier.AgroalPropertiesReader;

/** For the store's tests and benchmark: an H2 database at a URL, with the service's schema (Flyway, the H2 scripts). */
final class TestDatabases {

    private TestDatabases() {
    }

    static AgroalDataSource migratedH2(String url, int maxSize) throws java.sql.SQLException {
        Properties properties = new Properties();
        properties.put("jdbcUrl", url);
        properties.put("principal", "edgestack");
        properties.put("maxSize", Integer.toString(maxSize));
        properties.put("autoCommit", "true");
        AgroalDataSource dataSource = AgroalDataSource.from(new AgroalPropertiesReader().readProperties(properties));
        Flyway.configure().dataSource(dataSource).locations("db/migration", "db/h2").load().migrate();
        return dataSource;
    }
}
