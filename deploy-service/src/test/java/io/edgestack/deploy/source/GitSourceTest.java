package io.edgestack.deploy.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpServer;

import io.edgestack.deploy.config.DeployConfig;
import io.edgestack.deploy.config.TestConfigs;
import io.edgestack.deploy.it.SiteFixture;

/** Fetching over the transports people use: a local path, git over HTTP, and ssh with a configured key and known hosts. */
class GitSourceTest {

    @TempDir
    Path dir;

    private final List<Runnable> cleanup = new ArrayList<>();

    @AfterEach
    void stop() {
        cleanup.forEach(Runnable::run);
    }

    private GitSource source() {
        return new GitSource(TestConfigs.deploy(dir));
    }

    private static DeployConfig.Site site(String repository, Map<String, Object> settings) {
        return TestConfigs.site(repository, settings);
    }

    private static void run(Path in, String... command) throws Exception {
        Process process = new ProcessBuilder(command).directory(in.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertEquals(0, process.waitFor(), String.join(" ", command) + ": " + output);
    }

    @Test
    void fetchesALocalRepositoryAndOnlyTheRefsAskedFor() throws Exception {
        SiteFixture fixture = new SiteFixture(dir.resolve("site")).init();
        String second = fixture.commit(Map.of("site/index.html", "two"), Set.of(), "Two");
        GitSource source = source();
        GitSource.CommitInfo head = source.fetch("s", site(fixture.repository.toString(), Map.of()), "main");
        assertEquals(second, head.sha());
        assertEquals("Ada Tester <ada@example.test>", head.author());
        assertEquals("two", Files.readString(source.checkout("s").resolve("site/index.html")));
        Files.writeString(source.checkout("s").resolve("left-over.txt"), "untracked");
        GitSource.CommitInfo again = source.fetch("s", site("file://" + fixture.repository, Map.of()), second.substring(0, 10));
        assertEquals(second, again.sha());
        assertTrue(Files.notExists(source.checkout("s").resolve("left-over.txt")), "untracked files are cleaned");

        GitSource.SourceException unknown = assertThrows(GitSource.SourceException.class,
                () -> source.fetch("s", site(fixture.repository.toString(), Map.of()), "no-such-branch"));
        assertTrue(unknown.getMessage().contains("'no-such-branch' is neither a branch, a tag nor a commit"), unknown.getMessage());
        GitSource.SourceException missing = assertThrows(GitSource.SourceException.class,
                () -> source.fetch("t", site(dir.resolve("nowhere").toString(), Map.of()), "main"));
        assertTrue(missing.getMessage().startsWith("could not fetch " + dir.resolve("nowhere")), missing.getMessage());
    }

    @Test
    void fetchesOverHttp() throws Exception {
        SiteFixture fixture = new SiteFixture(dir.resolve("site")).init();
        Path bare = dir.resolve("served/site.git");
        run(dir, "git", "clone", "-q", "--bare", fixture.repository.toString(), bare.toString());
        run(bare, "git", "update-server-info");
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            Path file = dir.resolve("served").resolve(exchange.getRequestURI().getPath().substring(1)).normalize();
            if (!file.startsWith(dir.resolve("served")) || !Files.isRegularFile(file)) {
                exchange.sendResponseHeaders(404, -1);
                exchange.close();
                return;
            }
            byte[] body = Files.readAllBytes(file);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        cleanup.add(() -> server.stop(0));
        String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/site.git";
        GitSource source = source();
        String first = source.fetch("h", site(url, Map.of("gitPassword", "token-not-needed-here")), "main").sha();
        String next = fixture.commit(Map.of("site/index.html", "over http"), Set.of(), "HTTP");
        run(bare, "git", "fetch", "-q", fixture.repository.toString(), "main:main");
        run(bare, "git", "update-server-info");
        GitSource.CommitInfo fetched = source.fetch("h", site(url, Map.of()), "main");
        assertEquals(next, fetched.sha());
        assertTrue(!first.equals(next));
        assertEquals("over http", Files.readString(source.checkout("h").resolve("site/index.html")));
    }

    @Test
    void fetchesOverSshWithTheConfiguredKeyAndRefusesAnUnknownHostKey() throws Exception {
        SiteFixture fixture = new SiteFixture(dir.resolve("site")).init();
        Path ssh = Files.createDirectories(dir.resolve("ssh"));
        run(ssh, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", ssh.resolve("host_key").toString());
        run(ssh, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", ssh.resolve("deploy_key").toString());
        run(ssh, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", ssh.resolve("other_host_key").toString());
        Files.copy(ssh.resolve("deploy_key.pub"), ssh.resolve("authorized_keys"));
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Files.writeString(ssh.resolve("sshd_config"), String.join("\n", "Port " + port, "ListenAddress 127.0.0.1",
                "HostKey " + ssh.resolve("host_key"), "AuthorizedKeysFile " + ssh.resolve("authorized_keys"),
                "PidFile " + ssh.resolve("sshd.pid"), "StrictModes no", "UsePAM no", "PasswordAuthentication no",
                "PermitRootLogin prohibit-password", "") + "\n");
        Files.createDirectories(Path.of("/run/sshd"));
        String sshd = Files.isExecutable(Path.of("/usr/sbin/sshd")) ? "/usr/sbin/sshd" : "sshd";
        Process server = new ProcessBuilder(sshd, "-D", "-e", "-f", ssh.resolve("sshd_config").toString())
                .redirectErrorStream(true).redirectOutput(ssh.resolve("sshd.log").toFile()).start();
        cleanup.add(server::destroyForcibly);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.exists(ssh.resolve("sshd.pid"))) {
            assertTrue(server.isAlive() && System.nanoTime() < deadline, "sshd did not start: " + Files.readString(ssh.resolve("sshd.log")));
            Thread.sleep(20);
        }
        String hostKey = Files.readString(ssh.resolve("host_key.pub")).trim();
        Files.writeString(ssh.resolve("known_hosts"), "[127.0.0.1]:" + port + " " + hostKey + "\n");
        String otherKey = Files.readString(ssh.resolve("other_host_key.pub")).trim();
        Files.writeString(ssh.resolve("wrong_known_hosts"), "[127.0.0.1]:" + port + " " + otherKey + "\n");
        String user = System.getProperty("user.name");
        String url = "ssh://" + user + "@127.0.0.1:" + port + fixture.repository;

        GitSource source = source();
        GitSource.CommitInfo fetched = source.fetch("x", site(url, Map.of("sshKeyFile", ssh.resolve("deploy_key"),
                "sshKnownHostsFile", ssh.resolve("known_hosts"))), "main");
        assertEquals(40, fetched.sha().length());
        assertTrue(Files.exists(source.checkout("x").resolve("site/index.html")));

        GitSource.SourceException refused = assertThrows(GitSource.SourceException.class, () -> source.fetch("y",
                site(url, Map.of("sshKeyFile", ssh.resolve("deploy_key"), "sshKnownHostsFile", ssh.resolve("wrong_known_hosts"))),
                "main"));
        assertTrue(refused.getMessage().startsWith("could not fetch ssh://"), refused.getMessage());
        assertTrue(refused.getMessage().toLowerCase().contains("hostkey") || refused.getMessage().toLowerCase().contains("host key"),
                refused.getMessage());
    }

}
