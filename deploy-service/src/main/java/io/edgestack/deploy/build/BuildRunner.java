package io.edgestack.deploy.build;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * Runs a shell command (a build, a post-switch command) in a folder, with a time limit, its output going line by line to
 * the deployment's log. A command that outlives its limit is stopped with everything it started.
 */
@ApplicationScoped
public class BuildRunner {

    private static final int TAIL_LINES = 8;

    /** The command failed: {@link #getMessage()} says how, with the last lines of its output. */
    public static final class CommandFailed extends Exception {
        public CommandFailed(String message) {
            super(message);
        }
    }

    /**
     * @param what "build" or "post-switch command", for messages
     * @throws CommandFailed when it exits non-zero, times out or cannot start
     */
    public void run(String what, String command, Path directory, Map<String, String> env, Duration timeout, BuildLog log)
            throws CommandFailed, InterruptedException {
        run(what, command, directory, env, timeout, log, null);
    }

    /**
     * The same, noting the command's process in {@code pidFile} while it runs, so that a build left behind by a killed
     * deploy-service can be stopped at the next start ({@link #stopLeftover}).
     */
    public void run(String what, String command, Path directory, Map<String, String> env, Duration timeout, BuildLog log,
            Path pidFile) throws CommandFailed, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder("sh", "-c", command).directory(directory.toFile()).redirectErrorStream(true);
        builder.environment().putAll(env);
        log.step("$ " + command + "   (in " + directory + ", limit " + human(timeout) + ")");
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new CommandFailed("the " + what + " could not start: " + e.getMessage());
        }
        if (pidFile != null) {
            note(pidFile, process.toHandle());
        }
        try {
            run(process, what, timeout, log);
        } finally {
            if (pidFile != null) {
                try {
                    Files.deleteIfExists(pidFile);
                } catch (IOException e) {
                    // a stale note is checked against the process's start time
                }
            }
        }
    }

    private void run(Process process, String what, Duration timeout, BuildLog log)
            throws CommandFailed, InterruptedException {
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // the command reads no input
        }
        Deque<String> tail = new ArrayDeque<>();
        Thread reader = new Thread(() -> pump(process, log, tail), "build-output-" + process.pid());
        reader.setDaemon(true);
        reader.start();
        boolean done;
        try {
            done = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            kill(process);
            throw e;
        }
        if (!done) {
            kill(process);
            reader.join(2000);
            throw new CommandFailed("the " + what + " timed out after " + human(timeout) + " and was stopped" + tail(tail));
        }
        reader.join(5000);
        int exit = process.exitValue();
        if (exit != 0) {
            throw new CommandFailed("the " + what + " exited with status " + exit + tail(tail));
        }
    }

    /**
     * Stops the command noted in {@code pidFile} and everything it started, if it still runs (same pid and start time):
     * a build orphaned when deploy-service was killed must not keep writing into the checkout. Returns its pid, or -1.
     */
    public static long stopLeftover(Path pidFile) {
        try {
            if (!Files.isRegularFile(pidFile)) {
                return -1;
            }
            String[] note = Files.readString(pidFile).trim().split(" ");
            Files.delete(pidFile);
            long pid = Long.parseLong(note[0]);
            Optional<ProcessHandle> process = ProcessHandle.of(pid);
            if (process.isEmpty() || !process.get().info().startInstant().map(Instant::toString).orElse("").equals(note[1])) {
                return -1;
            }
            process.get().descendants().forEach(ProcessHandle::destroyForcibly);
            process.get().destroyForcibly();
            return pid;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static void note(Path pidFile, ProcessHandle process) {
        try {
            Files.createDirectories(pidFile.getParent());
            Files.writeString(pidFile, process.pid() + " " + process.info().startInstant().map(Instant::toString).orElse("?"));
        } catch (IOException e) {
            // without the note a leftover build cannot be stopped at restart; the build itself goes on
        }
    }

    private static void pump(Process process, BuildLog log, Deque<String> tail) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                log.line(line);
                synchronized (tail) {
                    tail.addLast(line);
                    if (tail.size() > TAIL_LINES) {
                        tail.removeFirst();
                    }
                }
            }
        } catch (IOException e) {
            // the process is gone
        }
    }

    private static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String tail(Deque<String> tail) {
        synchronized (tail) {
            return tail.isEmpty() ? " (no output)" : "; last output: " + String.join(" | ", tail);
        }
    }

    static String human(Duration duration) {
        long seconds = duration.toSeconds();
        if (seconds < 120) {
            return duration.toMillis() % 1000 == 0 ? seconds + " s" : duration.toMillis() + " ms";
        }
        return seconds / 60 + " min" + (seconds % 60 == 0 ? "" : " " + seconds % 60 + " s");
    }
}
