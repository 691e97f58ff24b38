package io.edgestack.cluster;

import java.io.IOException;

import org.jboss.logging.Logger;

import io.vertx.core.http.HttpConnection;

/**
 * Errors of a client connection to a service's own backend (proxy-service's upstreams, the connector's origins), said
 * once with the peer's address. Without an exception handler Vert.x logged each as a bare ERROR ("Invalid character in
 * chunk size") naming no one. A peer that breaks HTTP is a WARN (someone should look at it); an I/O error (a reset, a
 * close) is DEBUG, since the request it broke is answered and reported on its own path (502, retry, passive health).
 */
public final class ConnectionErrors {

    private ConnectionErrors() {
    }

    public static void report(HttpConnection connection, Logger log, String peer) {
        connection.exceptionHandler(error -> {
            if (error instanceof IOException) {
                log.debugf("%s %s: connection error: %s", peer, connection.remoteAddress(), error.getMessage());
            } else {
                log.warnf("%s %s broke HTTP on its connection: %s", peer, connection.remoteAddress(), error.getMessage());
            }
        });
    }
}
