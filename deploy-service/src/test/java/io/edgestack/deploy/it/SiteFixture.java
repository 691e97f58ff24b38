package io.edgestack.deploy.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.revwalk.RevCommit;

import com.sun.net.httpserver.HttpServer;

/**
 * What the deploy tests deploy from and purge into: a real git repository in a temporary folder (its {@code build.sh}
 * copies {@code site/} to {@code dist/}, and fails or sleeps when the commit carries a {@code fail} or {@code delay}
 * file), and a recording stand-in for proxy-service's admin API and public port (every request it gets is appended to
 * a file, one line each, so tests read it whatever class loader they run in).
 */
public final class SiteFixture {

    public static final String BUILD = """
            #!/bin/sh
            set -e
            if [ -f fail ]; then echo "build broke: $(cat fail)"; exit 3; fi
            if [ -f delay ]; then sleep "$(cat delay)"; fi
            rm -rf dist
            mkdir dist
            cp -R site/. dist/
            echo "built $EDGESTACK_COMMIT for $EDGESTACK_SITE with ${GREETING:-no greeting}"
            """;

    public final Path root;
    public final Path repository;
    public final Path requests;
    private HttpServer proxy;

    public SiteFixture(Path root) {
        this.root = root;
        this.repository = root.resolve("repo");
        this.requests = root.resolve("proxy-requests.log");
    }

    /** The repository with a first commit: a small site with a blog, an about page, a stylesheet and error pages. */
    public SiteFixture init() throws IOException, GitAPIException {
        Files.createDirectories(repository);
        try (Git git = Git.init().setDirectory(repository.toFile()).setInitialBranch("main").call()) {
            Map<String, String> files = new HashMap<>();
            files.put("build.sh", BUILD);
            files.put("site/index.html", "<h1>home v1</h1>");
            files.put("site/blog/index.html", "<h1>blog v1</h1>");
            files.put("site/about.html", "<h1>about v1</h1>");
            files.put("site/assets/app.css", "body { color: black }");
            files.put("site/404.html", "<h1>not found</h1>");
            commit(git, files, Set.of(), "First version");
        }
        return this;
    }

    /** Commits these files (path → content) and deletions on main; returns the commit id. */
    public String commit(Map<String, String> files, Set<String> deletions, String message) throws IOException, GitAPIException {
        try (Git git = Git.open(repository.toFile())) {
            return commit(git, files, deletions, message);
        }
    }

    /** Commits on another branch (created from main when missing), then goes back to main. */
    public String commitOn(String branch, Map<String, String> files, String message) throws IOException, GitAPIException {
        try (Git git = Git.open(repository.toFile())) {
            boolean exists = git.getRepository().findRef("refs/heads/" + branch) != null;
            git.checkout().setName(branch).setCreateBranch(!exists).call();
            String id = commit(git, files, Set.of(), message);
            git.checkout().setName("main").call();
            return id;
        }
    }

    private String commit(Git git, Map<String, String> files, Set<String> deletions, String message)
            throws IOException, GitAPIException {
        for (Map.Entry<String, String> file : files.entrySet()) {
            Path path = repository.resolve(file.getKey());
            Files.createDirectories(path.getParent());
            Files.writeString(path, file.getValue());
            git.add().addFilepattern(file.getKey()).call();
        }
        for (String deleted : deletions) {
            Files.deleteIfExists(repository.resolve(deleted));
            git.rm().addFilepattern(deleted).call();
        }
        RevCommit commit = git.commit().setMessage(message).setAuthor("Ada Tester", "ada@example.test")
                .setCommitter("Ada Tester", "ada@example.test").setSign(false).call();
        return commit.name();
    }

    /**
     * Starts the stand-in proxy on a loopback port: POST /admin/purge answers {"purged": n} (503 while a file
     * {@code proxy-down} exists in the root), GET answers 200.
     */
    public int startProxy() throws IOException {
        proxy = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        proxy.createContext("/", exchange -> {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            String line = exchange.getRequestMethod() + " " + exchange.getRequestURI() + " host="
                    + exchange.getRequestHeaders().getFirst("Host") + " auth="
                    + exchange.getRequestHeaders().getFirst("Authorization") + " body="
                    + new String(body, StandardCharsets.UTF_8).replace('\n', ' ') + "\n";
            synchronized (SiteFixture.class) {
                Files.writeString(requests, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
            if (exchange.getRequestURI().getPath().equals("/admin/purge") && Files.exists(root.resolve("proxy-down"))) {
                exchange.sendResponseHeaders(503, -1);
                exchange.close();
                return;
            }
            byte[] answer = exchange.getRequestURI().getPath().equals("/admin/purge")
                    ? "{\"purged\": 3, \"kind\": \"urls\"}".getBytes(StandardCharsets.UTF_8)
                    : "<h1>page</h1>".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type",
                    exchange.getRequestURI().getPath().startsWith("/admin") ? "application/json" : "text/html");
            exchange.sendResponseHeaders(200, answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        });
        proxy.start();
        return proxy.getAddress().getPort();
    }

    public void stopProxy() {
        if (proxy != null) {
            proxy.stop(0);
        }
    }

    /** The requests the stand-in proxy got so far, one line each. */
    public List<String> proxyRequests() throws IOException {
        synchronized (SiteFixture.class) {
            return Files.exists(requests) ? Files.readAllLines(requests) : new ArrayList<>();
        }
    }

    public void forgetProxyRequests() throws IOException {
        synchronized (SiteFixture.class) {
            Files.deleteIfExists(requests);
        }
    }
}
