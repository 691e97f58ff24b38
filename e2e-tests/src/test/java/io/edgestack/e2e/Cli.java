package io.edgestack.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code bin/edgestack} of a repository tree as a real process, with a chosen run folder and environment.
 */
final class Cli {

    record Result(int exitCode, String output) {
    }

    private final Path root;
    private final Map<String, String> env = new HashMap<>();

    Cli(Path root, Path runDir) {
        this.root = root;
        env.put("EDGESTACK_RUN_DIR", runDir.toString());
    }

    static Path repositoryRoot() {
        String configured = System.getProperty("edgestack.root");
        Path root = configured != null ? Path.of(configured) : Path.of("..");
        return root.toAbsolutePath().normalize();
    }

    Cli env(String name, String value) {
        env.put(name, value);
        return this;
    }

    /** Moves every port of the suite to a free one, so a test does not depend on the defaults being free. */
    Cli freePorts() {
        for (String name : List.of("EDGE_PORT", "EDGE_CONNECTOR_PORT", "PROXY_PORT", "DEPLOY_PORT", "MONITOR_PORT",
                "EDGE_MGMT_PORT", "PROXY_MGMT_PORT", "DEPLOY_MGMT_PORT", "MONITOR_MGMT_PORT", "CONNECTOR_MGMT_PORT")) {
            env.put("EDGESTACK_" + name, String.valueOf(freePort()));
        }
        return this;
    }

    String env(String name) {
        return env.get(name);
    }

    /** Starts {@code bin/edgestack} without waiting; its output goes to {@code output}. */
    Process start(Path output, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(root.resolve("bin/edgestack").toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(root.toFile())
                .redirectErrorStream(true).redirectOutput(output.toFile());
        builder.environment().putAll(env);
        return builder.start();
    }

    Result run(String... args) {
        List<String> command = new ArrayList<>();
        command.add(root.resolve("bin/edgestack").toString());
        command.addAll(List.of(args));
        try {
            Path output = Files.createTempFile("edgestack-cli", ".out");
            ProcessBuilder builder = new ProcessBuilder(command).directory(root.toFile())
                    .redirectErrorStream(true).redirectOutput(output.toFile());
            builder.environment().putAll(env);
            Process process = builder.start();
            if (!process.waitFor(6, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new AssertionError("bin/edgestack " + String.join(" ", args) + " did not finish in 6 minutes");
            }
            String text = Files.readString(output, StandardCharsets.UTF_8);
            Files.delete(output);
            System.out.printf("$ bin/edgestack %s  (exit %d)%n%s%n", String.join(" ", args), process.exitValue(), text);
            return new Result(process.exitValue(), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /**
     * A port free now, below Linux's ephemeral range (32768-60999): the processes started afterwards bind random
     * ports from that range (the event bus, outgoing connections), which could take a port picked there first.
     */
    static int freePort() {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = random.nextInt(20000, 32000);
            if (USED.contains(port)) {
                continue;
            }
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                USED.add(port);
                return socket.getLocalPort();
            } catch (IOException e) {
                // taken: try another
            }
        }
        throw new UncheckedIOException(new IOException("no free port found in 20000-32000"));
    }

    /** Ports already handed out in this run, so that two calls never give the same one. */
    private static final java.util.Set<Integer> USED = java.util.concurrent.ConcurrentHashMap.newKeySet();
}
