package io.edgestack.cluster;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;

/**
 * {@link ConnectionClose} with an upload still coming: the answer, then the write side shut, what still comes read and
 * dropped, and the socket closed once the visitor has been silent for {@link ConnectionClose#LINGER_SILENCE_MILLIS}.
 */
class LingeringCloseTest {

    private Vertx vertx;
    private int port;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        port = vertx.createHttpServer(new HttpServerOptions())
                .requestHandler(request -> ConnectionClose.answer(request, () -> request.response().setStatusCode(413).end("too large")))
                .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void readsWhatStillComesAfterTheAnswerAndClosesOnceTheVisitorIsSilent() throws Exception {
        try (Socket visitor = new Socket("127.0.0.1", port)) {
            visitor.setSoTimeout(10_000);
            OutputStream out = visitor.getOutputStream();
            InputStream in = visitor.getInputStream();
            out.write("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000000\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String answer = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1); // to the end: the write side is shut
            assertTrue(answer.startsWith("HTTP/1.1 413 ") && answer.endsWith("too large"), answer);
            byte[] piece = new byte[64 * 1024];
            long started = System.nanoTime();
            for (int i = 0; i < 256; i++) { // 16 MiB, more than any socket buffers: read and dropped, not reset
                out.write(piece);
            }
            long silentFrom = System.nanoTime();
            assertTrue(silentFrom - started < TimeUnit.SECONDS.toNanos(4), "taken as it came");
            Thread.sleep(ConnectionClose.LINGER_SILENCE_MILLIS + 1000);
            // closed by now: the next writes meet a reset
            assertThrows(IOException.class, () -> {
                for (int i = 0; i < 100; i++) {
                    out.write(piece);
                    Thread.sleep(10);
                }
            });
        }
    }
}
