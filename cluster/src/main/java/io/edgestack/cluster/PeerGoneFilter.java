package io.edgestack.cluster;

import java.io.IOException;
import java.util.logging.Filter;
import java.util.logging.LogRecord;

import io.quarkus.logging.LoggingFilter;

/**
 * Drops Netty's "An exceptionCaught() event was fired, and it reached at the tail of the pipeline" warning when the
 * exception is an I/O error: a client that resets its connection (or sends garbage and goes) before its first request
 * head is complete. Vert.x's HTTP/1 server with h2c on has no handler of its own in the pipeline until that head is
 * read, so the reset reaches Netty's tail, which logs a warning per connection; the connection is closed either way.
 * Anyone on the internet can cause it, and nothing is to be done about it: Caddy and nginx log no such thing. Other
 * exceptions reaching the tail, which would be a defect, are still logged. Installed on the console handler of every
 * service ({@code quarkus.log.console.filter}, in this module's configuration).
 */
@LoggingFilter(name = "peer-gone")
public final class PeerGoneFilter implements Filter {

    static final String NETTY_TAIL = "io.netty.channel.DefaultChannelPipeline";

    @Override
    public boolean isLoggable(LogRecord record) {
        return !(NETTY_TAIL.equals(record.getLoggerName()) && record.getThrown() instanceof IOException);
    }
}
