package io.edgestack.proxy.site;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.edgestack.proxy.config.ProxyConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * Sites in maintenance, as {@code kamal app maintenance}: deploy-service writes {@code <releases-root>/<site>/maintenance.json}
 * ({@code bin/edgestack maintenance}) and every proxy replica that reads the releases answers that site's visitors
 * {@code 503} with its message until the file is gone, or with the live release's own {@code maintenance.html} when it
 * has one. The files are looked at once a second on a worker thread; a request only reads what was found (no disk
 * access on the event loop).
 */
@Singleton
public class SiteMaintenance {

    private static final Logger LOG = Logger.getLogger(SiteMaintenance.class);
    public static final String FILE = "maintenance.json";
    static final String DEFAULT_MESSAGE = "This site is down for maintenance. It will be back shortly.";

    /** A site's maintenance as read: its message, and the file's time and size then; the release's page, or null. */
    private record State(String message, long modified, long size, Path page) {
    }

    /** What a visitor of a site in maintenance is shown: the message, and the release's page (null: the built-in one). */
    public record Closed(String message, Path page) {
    }

    /** The page a release may carry for its maintenance. */
    public static final String PAGE = "maintenance.html";

    private final Path root;
    private final SiteRegistry registry;
    private final Vertx vertx;
    private final Map<String, State> down = new ConcurrentHashMap<>();
    private volatile long timer = -1;

    public SiteMaintenance(ProxyConfig config, SiteRegistry registry, Vertx vertx) {
        this.root = config.releasesRoot().toAbsolutePath().normalize();
        this.registry = registry;
        this.vertx = vertx;
    }

    void start(@Observes StartupEvent event) {
        look(); // before the first visitor
        timer = vertx.setPeriodic(1000, id -> vertx.executeBlocking(() -> {
            look();
            return null;
        }, false));
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /** What a site in maintenance shows, or null when it is live. No disk access. */
    public Closed of(String site) {
        State state = down.get(site);
        return state == null ? null : new Closed(state.message(), state.page());
    }

    /** Reads every site's maintenance file that is new or changed since it was last read. Blocking. */
    synchronized void look() {
        for (Site site : registry.sites().all()) {
            Path file = root.resolve(site.name()).resolve(FILE);
            State known = down.get(site.name());
            try {
                BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
                long modified = attributes.lastModifiedTime().toMillis();
                Path page = page(root.resolve(site.name()));
                if (known != null && known.modified() == modified && known.size() == attributes.size()) {
                    if (!java.util.Objects.equals(page, known.page())) { // a deploy during maintenance
                        down.put(site.name(), new State(known.message(), modified, known.size(), page));
                    }
                    continue;
                }
                String message = message(Files.readString(file));
                down.put(site.name(), new State(message, modified, attributes.size(), page));
                if (known == null) {
                    LOG.infof("Site %s is in maintenance: visitors get 503 (%s)", site.name(), message);
                }
            } catch (NoSuchFileException e) {
                if (down.remove(site.name()) != null) {
                    LOG.infof("Site %s is live again", site.name());
                }
            } catch (IOException | RuntimeException e) {
                // unreadable: keep what was known (a site in maintenance stays so rather than open half-migrated)
                LOG.debugf("Cannot read %s: %s", file, e.getMessage());
            }
        }
    }

    /** The live release's maintenance page (real path, inside the release), or null. Blocking. */
    static Path page(Path siteDir) {
        try {
            Path release = siteDir.resolve("current").toRealPath();
            Path page = release.resolve(PAGE);
            if (!Files.isRegularFile(page)) {
                return null;
            }
            Path real = page.toRealPath();
            return real.startsWith(release) ? real : null; // a link out of the release is not served
        } catch (IOException e) {
            return null;
        }
    }

    /** The message of a maintenance file: its {@code message}, else the default (a file that is not JSON included). */
    static String message(String text) {
        try {
            String message = new JsonObject(text).getString("message");
            return message == null || message.isBlank() ? DEFAULT_MESSAGE : message.strip();
        } catch (RuntimeException e) {
            return DEFAULT_MESSAGE;
        }
    }
}
