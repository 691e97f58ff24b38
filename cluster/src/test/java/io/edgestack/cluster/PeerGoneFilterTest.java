package io.edgestack.cluster;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import org.junit.jupiter.api.Test;

class PeerGoneFilterTest {

    private static LogRecord record(String logger, Throwable thrown) {
        LogRecord record = new LogRecord(Level.WARNING, "An exceptionCaught() event was fired, and it reached at the tail");
        record.setLoggerName(logger);
        record.setThrown(thrown);
        return record;
    }

    @Test
    void dropsOnlyAPeersIoErrorAtNettysTail() {
        PeerGoneFilter filter = new PeerGoneFilter();
        assertFalse(filter.isLoggable(record(PeerGoneFilter.NETTY_TAIL, new IOException("Connection reset by peer"))));
        // anything else at the tail is a defect worth seeing
        assertTrue(filter.isLoggable(record(PeerGoneFilter.NETTY_TAIL, new IllegalStateException("handler bug"))));
        assertTrue(filter.isLoggable(record(PeerGoneFilter.NETTY_TAIL, null)));
        // and an I/O error elsewhere is left to its logger
        assertTrue(filter.isLoggable(record("io.edgestack.proxy.upstream.UpstreamExchange", new IOException("reset"))));
    }
}
