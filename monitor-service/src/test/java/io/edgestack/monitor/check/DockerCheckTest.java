package io.edgestack.monitor.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

/**
 * docker checks, as Uptime Kuma's Docker Container monitor, against the machine's real Docker engine (on its unix
 * socket): containers of an image built here from Debian's static busybox (nothing is pulled), one healthy, one
 * unhealthy, one without a health check, one that exited, and a name no container has.
 */
class DockerCheckTest {

    private static final CheckSpec.Defaults DEFAULTS = new CheckSpec.Defaults(Duration.ofSeconds(30), Duration.ofSeconds(5), 3, 1);
    private static final String IMAGE = "edgestack-test/busybox-health:1";
    private static final String PREFIX = "edgestack-check-" + UUID.randomUUID().toString().substring(0, 8) + "-";
    private static final List<String> STARTED = new ArrayList<>();
    private static Vertx vertx;

    @BeforeAll
    static void start() throws Exception {
        Path context = Files.createTempDirectory("edgestack-docker-check-");
        Files.copy(Path.of("/bin/busybox"), context.resolve("busybox"));
        Files.writeString(context.resolve("Dockerfile"), """
                FROM scratch
                COPY busybox /bin/busybox
                HEALTHCHECK --interval=1s --timeout=2s --retries=1 CMD ["/bin/busybox", "test", "-f", "/healthy"]
                CMD ["/bin/busybox", "sleep", "3600"]
                """);
        docker("build", "-q", "-t", IMAGE, context.toString());
        run("healthy", "/bin/busybox", "sh", "-c", "/bin/busybox touch /healthy; exec /bin/busybox sleep 3600");
        run("unhealthy", "/bin/busybox", "sleep", "3600");
        run("plain", "--no-healthcheck", "/bin/busybox", "sleep", "3600");
        run("exited", "/bin/busybox", "sh", "-c", "exit 3");
        // until the engine has run the health checks (every second) and the short-lived container has exited
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!(docker("inspect", "-f", "{{.State.Health.Status}}", PREFIX + "healthy").equals("healthy")
                && docker("inspect", "-f", "{{.State.Health.Status}}", PREFIX + "unhealthy").equals("unhealthy")
                && docker("inspect", "-f", "{{.State.Status}}", PREFIX + "exited").equals("exited"))) {
            assertTrue(System.nanoTime() < deadline, "the containers did not settle in 30 s");
            Thread.sleep(200);
        }
        vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    }

    @AfterAll
    static void stop() throws Exception {
        if (vertx != null) {
            vertx.close();
        }
        for (String name : STARTED) {
            docker("rm", "-f", name);
        }
    }

    private static void run(String name, String... command) throws Exception {
        List<String> args = new ArrayList<>(List.of("run", "-d", "--name", PREFIX + name));
        int image = command[0].startsWith("--") ? 1 : 0;
        args.addAll(List.of(command).subList(0, image));
        args.add(IMAGE);
        args.addAll(List.of(command).subList(image, command.length));
        STARTED.add(PREFIX + name);
        docker(args.toArray(String[]::new));
    }

    private static String docker(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("docker"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes()).strip();
        if (process.waitFor() != 0 && !args[0].equals("inspect")) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
        }
        return output;
    }

    private static CheckResult check(String container, String... more) throws Exception {
        Map<String, String> settings = new HashMap<>(Map.of("container", container));
        for (int i = 0; i < more.length; i += 2) {
            settings.put(more[i], more[i + 1]);
        }
        CheckSpec spec = CheckSpec.parse("app", settings, DEFAULTS, "app.");
        return new Probes(vertx).run(spec).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void aRunningHealthyContainerIsUpAndEveryOtherStateSaysWhatItIs() throws Exception {
        CheckResult healthy = check(PREFIX + "healthy");
        assertTrue(healthy.ok(), healthy.toString());
        assertTrue(healthy.summary().startsWith("container " + PREFIX + "healthy is running, healthy, since 20"), healthy.summary());
        CheckResult plain = check(PREFIX + "plain");
        assertTrue(plain.ok(), plain.toString());
        assertTrue(plain.summary().startsWith("container " + PREFIX + "plain is running, since "), plain.summary());

        CheckResult unhealthy = check(PREFIX + "unhealthy");
        assertEquals(CheckResult.CONTAINER, unhealthy.cause(), unhealthy.toString());
        assertEquals("container " + PREFIX + "unhealthy is running, but unhealthy (its health check exited with 1)", unhealthy.summary());
        CheckResult exited = check(PREFIX + "exited");
        assertEquals(CheckResult.CONTAINER, exited.cause(), exited.toString());
        assertTrue(exited.summary().startsWith("container " + PREFIX + "exited is exited with code 3, at 20"), exited.summary());
        CheckResult missing = check(PREFIX + "never-started");
        assertEquals(CheckResult.CONTAINER, missing.cause(), missing.toString());
        assertEquals("no such container " + PREFIX + "never-started on unix:///var/run/docker.sock", missing.summary());
        docker("pause", PREFIX + "plain");
        try {
            CheckResult paused = check(PREFIX + "plain");
            assertEquals("container " + PREFIX + "plain is paused", paused.summary(), paused.toString());
            assertFalse(paused.ok());
        } finally {
            docker("unpause", PREFIX + "plain");
        }
    }

    @Test
    void anEngineThatDoesNotAnswerIsTheFailure() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }
        CheckResult refused = check("web", "docker-host", "tcp://127.0.0.1:" + closed);
        assertEquals("refused", refused.cause(), refused.toString());
        assertTrue(refused.summary().startsWith("container web on tcp://127.0.0.1:" + closed + ": "), refused.summary());
        CheckResult noSocket = check("web", "docker-host", "unix:///nowhere/docker.sock");
        assertFalse(noSocket.ok(), noSocket.toString());
    }

    @Test
    void aBadDockerCheckIsRefusedNamingTheKey() {
        assertEquals("app.container: 'web app' is not a container name or id", assertThrows(CheckSpec.Invalid.class,
                () -> CheckSpec.parse("app", Map.of("container", "web app"), DEFAULTS, "app.")).getMessage());
        assertEquals("app.docker-host: 'ssh://me@box' is not unix:///path/to/docker.sock, tcp://host:port or http(s)://host:port",
                assertThrows(CheckSpec.Invalid.class, () -> CheckSpec.parse("app", Map.of("container", "web", "docker-host",
                        "ssh://me@box"), DEFAULTS, "app.")).getMessage());
        assertEquals("home.container: only for a docker check", assertThrows(CheckSpec.Invalid.class,
                () -> CheckSpec.parse("home", Map.of("url", "http://x/", "container", "web"), DEFAULTS, "home.")).getMessage());
        CheckSpec spec = CheckSpec.parse("app", Map.of("container", "web"), DEFAULTS, "app.");
        assertEquals("docker", spec.type());
        assertEquals("/var/run/docker.sock", spec.docker().socket());
        assertEquals("container web", spec.target());
    }
}
