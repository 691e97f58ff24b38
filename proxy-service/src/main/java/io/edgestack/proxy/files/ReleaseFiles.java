package io.edgestack.proxy.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import org.jboss.logging.Logger;

import io.edgestack.proxy.site.Redirects;

/**
 * Maps request paths onto a site's live release: {@code <releases-root>/<site>/current}, a symbolic link to the
 * release folder or a file naming it. The pointer is read on every lookup, so an atomic switch by deploy-service
 * takes effect at once. Blocking file-system calls: run it on a worker thread.
 */
public final class ReleaseFiles {

    /** Precompressed sidecars, in the server's order of preference. */
    static final List<String> CODINGS = List.of("br", "zstd", "gzip");

    private static final Logger LOG = Logger.getLogger(ReleaseFiles.class);

    /** A site's live release as last read from its pointer, and when (System.nanoTime). */
    private record Live(Path release, String name, long checkedAt, boolean stale) {
    }

    private final Path releasesRoot;
    private final Map<String, Live> live = new ConcurrentHashMap<>();
    private final Map<Path, Read<Redirects>> redirects = new ConcurrentHashMap<>();
    private final Map<Path, Read<ReleaseHeaders>> headers = new ConcurrentHashMap<>();

    /** What was read of a release's file, with the file's modification time and size then (-1 when it had none). */
    private record Read<T>(T value, long modified, long size) {
    }
    private volatile Consumer<Path> onRetired = release -> { };

    public ReleaseFiles(Path releasesRoot) {
        this.releasesRoot = releasesRoot.toAbsolutePath().normalize();
    }

    /** Called with a release folder once a site's pointer has moved away from it. */
    void onRetired(Consumer<Path> listener) {
        this.onRetired = listener;
    }

    /** The name of the release a site served last, or "none": a metric label. */
    public String lastRelease(String site) {
        Live last = live.get(site);
        return last == null ? "none" : last.name();
    }

    /**
     * The live release of a site as last read, if that was less than {@code maxAgeNanos} ago: no disk access, so it can
     * run on the event loop. Null means "read the pointer again" (on a worker thread, through {@link #liveRelease}).
     */
    public Path trustedRelease(String site, long maxAgeNanos) {
        Live last = live.get(site);
        return last != null && !last.stale() && System.nanoTime() - last.checkedAt() < maxAgeNanos ? last.release() : null;
    }

    /** Forgets what was read of every site's pointer, so that the next request reads it again (after a purge). */
    public void recheck() {
        live.replaceAll((site, last) -> new Live(last.release(), last.name(), last.checkedAt(), true));
    }

    /** The live release folder of a site (real path), or null when the site has none yet. */
    public Path liveRelease(String site) throws IOException {
        Path release = resolveLive(site);
        Live previous = release == null ? live.remove(site)
                : live.put(site, new Live(release, release.getFileName().toString(), System.nanoTime(), false));
        if (previous != null && !previous.release().equals(release)) {
            redirects.remove(previous.release());
            headers.remove(previous.release());
            onRetired.accept(previous.release());
        }
        return release;
    }

    /**
     * The redirects of a release folder's {@code _redirects} file ({@link ReleaseRedirects}): read again when the file's
     * modification time or size changed since, as any file of the release. Blocking.
     */
    public Redirects redirects(Path release) {
        return current(redirects, release, ReleaseRedirects.FILE, ReleaseRedirects::read);
    }

    private static <T> T current(Map<Path, Read<T>> cache, Path release, String file, java.util.function.Function<Path, T> reader) {
        long modified = -1;
        long size = -1;
        try {
            BasicFileAttributes attributes = Files.readAttributes(release.resolve(file), BasicFileAttributes.class);
            modified = attributes.lastModifiedTime().toMillis();
            size = attributes.size();
        } catch (IOException e) {
            // none: read as such
        }
        Read<T> known = cache.get(release);
        if (known != null && known.modified() == modified && known.size() == size) {
            return known.value();
        }
        T value = reader.apply(release);
        cache.put(release, new Read<>(value, modified, size));
        return value;
    }

    /** The header rules of a release folder's {@code _headers} file ({@link ReleaseHeaders}), as {@link #redirects}. */
    ReleaseHeaders headers(Path release) {
        return current(headers, release, ReleaseHeaders.FILE, ReleaseHeaders::read);
    }

    /** The header rules of a release folder as last read ({@link #headers}), else null: no disk access. */
    ReleaseHeaders readHeaders(Path release) {
        Read<ReleaseHeaders> read = headers.get(release);
        return read == null ? null : read.value();
    }

    /** The redirects of a release folder as last read ({@link #redirects}), else null: no disk access. */
    Redirects readRedirects(Path release) {
        Read<Redirects> read = redirects.get(release);
        return read == null ? null : read.value();
    }

    private Path resolveLive(String site) throws IOException {
        Path siteDir = releasesRoot.resolve(site);
        Path pointer = siteDir.resolve("current");
        try {
            if (Files.isRegularFile(pointer, LinkOption.NOFOLLOW_LINKS)) {
                String id = Files.readString(pointer).trim();
                if (id.isEmpty() || id.contains("/") || id.contains("\\") || id.startsWith(".")) {
                    LOG.warnf("Ignoring pointer %s: '%s' is not a release folder name", pointer, id);
                    return null;
                }
                return siteDir.resolve(id).toRealPath();
            }
            Path real = pointer.toRealPath();
            return Files.isDirectory(real) ? real : null;
        } catch (NoSuchFileException | java.nio.file.NotDirectoryException e) {
            return null;
        }
    }

    /**
     * @param path a path already cleaned by {@code PathGuard} (decoded, no dot segments)
     * @param acceptEncoding the request's Accept-Encoding, or null
     * @param query the raw query string, kept on redirects
     */
    public Lookup find(String site, String path, String acceptEncoding, String query) throws IOException {
        return find(site, path, acceptEncoding, query, null);
    }

    /** @param acceptLanguage the request's Accept-Language, or null (for the {@code _redirects} language conditions) */
    public Lookup find(String site, String path, String acceptEncoding, String query, String acceptLanguage) throws IOException {
        Path root = liveRelease(site);
        if (root == null) {
            return Lookup.noRelease();
        }
        String release = root.getFileName().toString();
        headers(root); // read with the release, so that its answers can apply them from the event loop
        Redirects.Match rule = redirects(root).match(path, query, acceptLanguage);
        if (rule != null && rule.redirects()) {
            return Lookup.redirect(rule.location(query), release, rule.status());
        }
        if (rule != null && rule.force()) {
            return rule.proxies() ? Lookup.proxy(rule.location(query), release) : rewrite(root, release, rule, acceptEncoding);
        }
        Lookup found = hidden(path) ? null : file(root, release, path, acceptEncoding, query, true);
        if (found != null) {
            return found;
        }
        if (rule != null && rule.proxies()) {
            return Lookup.proxy(rule.location(query), release);
        }
        return rule != null ? rewrite(root, release, rule, acceptEncoding) : notFound(root, release);
    }

    /**
     * The URL a request of a method other than GET and HEAD is proxied to by the live release's {@code _redirects} (no
     * file answers those methods), or null when no rule proxies {@code path}.
     */
    public String proxiedTo(String site, String path, String query, String acceptLanguage) throws IOException {
        Path root = liveRelease(site);
        Redirects.Match rule = root == null ? null : redirects(root).match(path, query, acceptLanguage);
        return rule != null && rule.proxies() ? rule.location(query) : null;
    }

    /**
     * What a rewrite of {@code _redirects} serves: the file at its {@code to} (a folder's index.html without the
     * trailing-slash redirect), with status 200, or as the not-found page for 404; the site's 404 when there is none.
     */
    private Lookup rewrite(Path root, String release, Redirects.Match rule, String acceptEncoding) throws IOException {
        String target = targetPath(rule.to());
        Lookup found = target == null || hidden(target) ? null : file(root, release, target, acceptEncoding, null, false);
        if (found == null) { // the site's not-found page; for 410 and 451 the built-in page of that status
            return rule.status() == 200 || rule.status() == 404 ? notFound(root, release)
                    : Lookup.notFound(null, 0, release, rule.status());
        }
        if (rule.status() != 200) {
            return Lookup.notFound(found.source(), found.sourceSize(), release, rule.status());
        }
        return found;
    }

    /** The cleaned path of a rewrite's {@code to}: without query or fragment, decoded, no dot segments; else null. */
    static String targetPath(String to) {
        int end = to.length();
        for (char c : new char[] { '?', '#' }) {
            int at = to.indexOf(c);
            if (at >= 0 && at < end) {
                end = at;
            }
        }
        String path;
        try {
            path = java.net.URLDecoder.decode(to.substring(0, end).replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (!path.startsWith("/") || path.indexOf('\0') >= 0 || path.indexOf('\\') >= 0) {
            return null;
        }
        for (String segment : path.split("/", -1)) {
            if (segment.equals("..") || segment.equals(".")) {
                return null;
            }
        }
        return path;
    }

    /**
     * The file that answers {@code path} in {@code root}, or null when nothing does. A folder named without its trailing
     * slash gets a {@code 301} to it ({@code toFolder}) or its index.html (for a rewrite's target).
     */
    private Lookup file(Path root, String release, String path, String acceptEncoding, String query, boolean toFolder)
            throws IOException {
        Path candidate = root.resolve(path.substring(1));
        Path target;
        if (path.endsWith("/")) {
            target = candidate.resolve("index.html");
        } else if (Files.isRegularFile(candidate)) {
            target = candidate;
        } else if (Files.isRegularFile(candidate.resolve("index.html"))) {
            return toFolder ? Lookup.redirect(path + "/" + (query == null ? "" : "?" + query), release)
                    : file(root, release, path + "/", acceptEncoding, null, false); // keyed as the folder, whose redirect stays
        } else {
            target = candidate.resolveSibling(candidate.getFileName() + ".html");
        }
        Path real = inside(root, target);
        if (real == null) {
            return null;
        }
        BasicFileAttributes attributes = attributes(real);
        if (attributes == null || !attributes.isRegularFile()) {
            return null;
        }
        List<String> available = new ArrayList<>(CODINGS.size());
        for (String coding : CODINGS) {
            Path sidecar = real.resolveSibling(real.getFileName() + "." + extension(coding));
            if (Files.isRegularFile(sidecar) && inside(root, sidecar) != null) {
                available.add(coding);
            }
        }
        String coding = AcceptEncoding.choose(acceptEncoding, available);
        Path sidecar = coding == null ? null : real.resolveSibling(real.getFileName() + "." + extension(coding));
        BasicFileAttributes encoded = sidecar == null ? null : attributes(sidecar);
        if (encoded != null) {
            return new Lookup(Lookup.Kind.FILE, sidecar, encoded.size(), attributes.lastModifiedTime().toMillis(), coding,
                    true, null, release, real, attributes.size(), List.copyOf(available), root, 200, path);
        }
        return new Lookup(Lookup.Kind.FILE, real, attributes.size(), attributes.lastModifiedTime().toMillis(), null,
                !available.isEmpty(), null, release, real, attributes.size(), List.copyOf(available), root, 200, path);
    }

    /** A file's attributes, or null when it is gone (removed since it was seen: not found, rather than an error). */
    private static BasicFileAttributes attributes(Path file) throws IOException {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** One entry of a folder's listing. */
    record Entry(String name, boolean folder, long size, long modifiedMillis) {
    }

    /**
     * The entries of the folder {@code path} (cleaned) of the site's live release, folders first then by name, without
     * hidden files, the release's {@code _redirects} and {@code _headers}, nor links that lead outside the release; null
     * when {@code path} is not a folder of it. Blocking.
     */
    List<Entry> listing(String site, String path) throws IOException {
        Path root = liveRelease(site);
        if (root == null || hidden(path)) {
            return null;
        }
        Path folder = inside(root, root.resolve(path.substring(1)));
        if (folder == null || !Files.isDirectory(folder)) {
            return null;
        }
        List<Entry> entries = new ArrayList<>();
        try (var children = Files.list(folder)) {
            for (Path child : (Iterable<Path>) children::iterator) {
                String name = child.getFileName().toString();
                if (name.startsWith(".") || folder.equals(root) && (name.equals(ReleaseRedirects.FILE) || name.equals(ReleaseHeaders.FILE))) {
                    continue;
                }
                Path real = inside(root, child);
                if (real == null) {
                    continue;
                }
                BasicFileAttributes attributes = Files.readAttributes(real, BasicFileAttributes.class);
                entries.add(new Entry(name, attributes.isDirectory(), attributes.size(), attributes.lastModifiedTime().toMillis()));
            }
        }
        entries.sort(java.util.Comparator.comparing((Entry e) -> !e.folder()).thenComparing(Entry::name));
        return entries;
    }

    /** The site's own page for an error status ({@code 404.html}, {@code 50x.html}) in its live release, or null. */
    public Path errorPage(String site, int status) throws IOException {
        Path root = liveRelease(site);
        if (root == null) {
            return null;
        }
        Path page = inside(root, root.resolve(status == 404 ? "404.html" : "50x.html"));
        return page != null && Files.isRegularFile(page) ? page : null;
    }

    private Lookup notFound(Path root, String release) throws IOException {
        Path page = inside(root, root.resolve("404.html"));
        BasicFileAttributes attributes = page == null ? null : attributes(page);
        if (attributes != null && attributes.isRegularFile()) {
            return Lookup.notFound(page, attributes.size(), release);
        }
        return Lookup.notFound(null, 0, release);
    }

    /** The real path of {@code file} if it exists and stays inside {@code root} once links are followed. */
    private static Path inside(Path root, Path file) throws IOException {
        try {
            Path real = file.toRealPath();
            if (real.startsWith(root)) {
                return real;
            }
            LOG.warnf("Refused %s: it resolves outside the release (%s)", file, real);
            return null;
        } catch (NoSuchFileException | java.nio.file.NotDirectoryException e) {
            return null;
        }
    }

    private static boolean hidden(String path) {
        return path.contains("/.") || path.equals("/" + ReleaseRedirects.FILE) || path.equals("/" + ReleaseHeaders.FILE);
    }

    static String extension(String coding) {
        return switch (coding) {
            case "br" -> "br";
            case "zstd" -> "zst";
            default -> "gz";
        };
    }
}
