package io.edgestack.deploy.build;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The output of one deployment: written to its log file as it comes, and handed to live readers (server-sent events)
 * that joined while it runs. A reader that joins gets every line so far, then the new ones, then the end.
 */
public final class BuildLog implements AutoCloseable {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
    private static final int MEMORY_LINES = 20_000;

    private final Path file;
    private final BufferedWriter writer;
    private final List<String> lines = new ArrayList<>();
    private final List<Reader> readers = new ArrayList<>();
    private boolean closed;

    /** Receives lines, then one call of {@code end}. */
    public record Reader(Consumer<String> line, Runnable end) {
    }

    public BuildLog(Path file) {
        this.file = file;
        try {
            Files.createDirectories(file.getParent());
            this.writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the deployment log " + file, e);
        }
    }

    public Path file() {
        return file;
    }

    /** A line from deploy-service itself, prefixed with the time. */
    public void step(String text) {
        line("[" + LocalTime.now(ZoneOffset.UTC).format(TIME) + "] " + text);
    }

    /** A line of the build's own output. */
    public void line(String text) {
        List<Reader> now;
        synchronized (this) {
            if (closed) {
                return;
            }
            try {
                writer.write(text);
                writer.write('\n');
                writer.flush();
            } catch (IOException e) {
                // the log is best effort: the deployment goes on
            }
            if (lines.size() < MEMORY_LINES) {
                lines.add(text);
            }
            now = List.copyOf(readers);
        }
        for (Reader reader : now) {
            reader.line().accept(text);
        }
    }

    /** Adds a live reader; false when the log is already closed (read the file instead). */
    public boolean follow(Reader reader) {
        List<String> backlog;
        synchronized (this) {
            if (closed) {
                return false;
            }
            backlog = List.copyOf(lines);
            readers.add(reader);
            // lines written from now on reach the reader after the backlog: line() takes this lock first
            for (String line : backlog) {
                reader.line().accept(line);
            }
        }
        return true;
    }

    public synchronized void unfollow(Reader reader) {
        readers.remove(reader);
    }

    @Override
    public void close() {
        List<Reader> now;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            try {
                writer.close();
            } catch (IOException e) {
                // nothing more to write
            }
            now = List.copyOf(readers);
            readers.clear();
            lines.clear();
        }
        now.forEach(reader -> reader.end().run());
    }
}
