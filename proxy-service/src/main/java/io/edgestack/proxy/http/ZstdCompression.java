package io.edgestack.proxy.http;

import jakarta.enterprise.context.ApplicationScoped;

import io.netty.handler.codec.compression.StandardCompressionOptions;
import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.HttpServerOptions;

/**
 * Adds zstd to the compressors Quarkus configures (gzip and br, from {@code quarkus.http.compressors}).
 */
@ApplicationScoped
public class ZstdCompression implements HttpServerOptionsCustomizer {

    @Override
    public void customizeHttpServer(HttpServerOptions options) {
        if (options.isCompressionSupported()) {
            options.addCompressor(StandardCompressionOptions.zstd());
        }
    }

    @Override
    public void customizeHttpsServer(HttpServerOptions options) {
        customizeHttpServer(options);
    }
}
