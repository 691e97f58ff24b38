package io.edgestack.monitor.check;

import java.net.ConnectException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeoutException;

import javax.net.ssl.SSLException;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import io.edgestack.cluster.GrpcHealth;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.dns.DnsClient;
import io.vertx.core.dns.DnsClientOptions;
import io.vertx.core.dns.DnsException;
import io.vertx.core.dns.MxRecord;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.SocketAddress;

/**
 * Runs checks, non-blocking, on Vert.x clients: HTTP(S) with status, keyword, JSON and latency conditions; TCP connect;
 * TLS certificate expiry; DNS records. Each failure gets a cause a person reads at a glance and a one-line summary of what came back.
 */
@ApplicationScoped
public class Probes {

    private static final int MAX_BODY = 1024 * 1024;

    private final Vertx vertx;
    private final HttpClient http;
    /** For the checks that ignore TLS errors: any certificate, any name (its expiry is still read). */
    private final HttpClient lenient;
    private final NetClient tcp;
    /** TLS that any certificate passes (tls checks read expiry; rediss checks that ignore TLS errors). */
    private final NetClient tls;
    /** TLS with the JVM's trusted authorities and the host's name checked (rediss checks). */
    private final NetClient secure;
    /** HTTP/2 for grpc checks: in clear text with prior knowledge, over TLS (ALPN), over TLS accepting any certificate. */
    private final HttpClient grpc;
    private final HttpClient grpcSecure;
    private final HttpClient grpcLenient;

    public Probes(Vertx vertx) {
        this.vertx = vertx;
        this.http = vertx.createHttpClient(new HttpClientOptions().setMaxPoolSize(64).setKeepAlive(false)
                .setMaxRedirects(10).setVerifyHost(true));
        this.lenient = vertx.createHttpClient(new HttpClientOptions().setMaxPoolSize(64).setKeepAlive(false)
                .setMaxRedirects(10).setTrustAll(true).setVerifyHost(false));
        this.tcp = vertx.createNetClient(new NetClientOptions());
        this.tls = vertx.createNetClient(new NetClientOptions().setSsl(true).setTrustAll(true).setHostnameVerificationAlgorithm(""));
        this.secure = vertx.createNetClient(new NetClientOptions().setSsl(true).setHostnameVerificationAlgorithm("HTTPS"));
        this.grpc = vertx.createHttpClient(grpcOptions().setHttp2ClearTextUpgrade(false));
        this.grpcSecure = vertx.createHttpClient(grpcOptions().setSsl(true).setUseAlpn(true).setVerifyHost(true));
        this.grpcLenient = vertx.createHttpClient(grpcOptions().setSsl(true).setUseAlpn(true).setTrustAll(true)
                .setVerifyHost(false));
    }

    /** HTTP/2, a connection per server kept a second after its last check: checks are seconds apart. */
    private static HttpClientOptions grpcOptions() {
        return new HttpClientOptions().setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2).setHttp2KeepAliveTimeout(1)
                .setHttp2MaxPoolSize(1);
    }

    @PreDestroy
    void close() {
        http.close();
        lenient.close();
        tcp.close();
        tls.close();
        secure.close();
        grpc.close();
        grpcSecure.close();
        grpcLenient.close();
    }

    /** One run of an HTTP, TCP, TLS, DNS or ping check (push checks are judged by {@code PushTracker}). */
    public Future<CheckResult> run(CheckSpec spec) {
        Future<CheckResult> result = probe(spec);
        return spec.upsideDown() ? result.map(Probes::upsideDown) : result;
    }

    /**
     * The verdict of an upside-down check: a probe that failed is up ("failed, as it should"), one that got through is
     * down with cause {@code upside-down}, whatever it got (a stale copy is an answer too).
     */
    static CheckResult upsideDown(CheckResult result) {
        if (result.ok()) {
            return CheckResult.down(result.check(), CheckResult.UPSIDE_DOWN, result.latencyMs(), result.status(),
                    "answered, and it should not: " + result.summary(), result.certDaysLeft());
        }
        return CheckResult.up(result.check(), result.latencyMs(), result.status(), "no answer, as it should be ("
                + result.cause() + "): " + result.summary(), result.certDaysLeft());
    }

    private Future<CheckResult> probe(CheckSpec spec) {
        return switch (spec.type()) {
            case "http" -> http(spec);
            case "tcp" -> tcp(spec);
            case "tls" -> tls(spec);
            case "dns" -> dns(spec);
            case "ping" -> ping(spec);
            case "postgres", "mysql" -> sql(spec);
            case "redis" -> redis(spec);
            case "docker" -> docker(spec);
            case "grpc" -> grpc(spec);
            default -> Future.failedFuture(new IllegalArgumentException("not a probe: " + spec.type()));
        };
    }

    /** The ping command (iputils' {@code ping}, as Uptime Kuma runs it); a test points it at another program. */
    static volatile String pingCommand = System.getProperty("edgestack.monitor.ping-command", "ping");
    private static final java.util.regex.Pattern RTT = java.util.regex.Pattern.compile("time[=<]([0-9.]+) ?ms");

    /**
     * One ICMP echo through the system's {@code ping} (raw sockets need privileges the JVM does not have; the system's
     * command has them), on a worker thread: up with the round trip, down with cause {@code timeout} when no reply
     * came within the check's timeout, {@code dns} when the name does not resolve, {@code error} otherwise.
     */
    private Future<CheckResult> ping(CheckSpec spec) {
        long start = System.nanoTime();
        long seconds = Math.max(1, (spec.timeout().toMillis() + 999) / 1000);
        return vertx.executeBlocking(() -> {
            Process process;
            try {
                process = new ProcessBuilder(pingCommand, "-n", "-c", "1", "-W", Long.toString(seconds), spec.host())
                        .redirectErrorStream(true).start();
            } catch (java.io.IOException e) {
                return CheckResult.down(spec.name(), "error", millis(start), 0,
                        "cannot run '" + pingCommand + "' (install iputils-ping): " + e.getMessage(), null);
            }
            process.getOutputStream().close();
            String output;
            try (var in = process.getInputStream()) {
                if (!process.waitFor(seconds + 2, java.util.concurrent.TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    return CheckResult.down(spec.name(), "timeout", millis(start), 0, "no reply to ping " + spec.host()
                            + " in " + seconds + " s", null);
                }
                output = new String(in.readNBytes(16_384), java.nio.charset.StandardCharsets.UTF_8);
            }
            return judgePing(spec, process.exitValue(), output, millis(start), seconds);
        }, false);
    }

    /**
     * One connection to a PostgreSQL, MySQL or MariaDB server and its query, as Uptime Kuma's PostgreSQL and
     * MySQL/MariaDB monitors, on a worker thread: up when the query runs (the summary shows the first value it
     * returned), down with cause {@code refused} or {@code timeout} (no connection), {@code auth} (user or password
     * refused), {@code database} (no such database) or {@code query} (the query failed), the server's own words in the
     * summary.
     */
    private Future<CheckResult> sql(CheckSpec spec) {
        long start = System.nanoTime();
        CheckSpec.Database db = spec.database();
        boolean mysql = spec.type().equals("mysql");
        int seconds = (int) Math.max(1, (spec.timeout().toMillis() + 999) / 1000);
        return vertx.executeBlocking(() -> {
            java.util.Properties properties = new java.util.Properties();
            properties.setProperty("user", db.user());
            if (db.password() != null) {
                properties.setProperty("password", db.password());
            }
            if (mysql) { // MariaDB Connector/J: milliseconds
                properties.setProperty("connectTimeout", Long.toString(spec.timeout().toMillis()));
                properties.setProperty("socketTimeout", Long.toString(spec.timeout().toMillis()));
                properties.setProperty("connectionAttributes", "program_name:edgestack-monitor");
            } else {
                properties.setProperty("connectTimeout", Integer.toString(seconds));
                properties.setProperty("socketTimeout", Integer.toString(seconds));
                properties.setProperty("loginTimeout", Integer.toString(seconds));
                properties.setProperty("ApplicationName", "edgestack-monitor");
            }
            java.sql.Driver driver = mysql ? new org.mariadb.jdbc.Driver() : new org.postgresql.Driver();
            try (java.sql.Connection connection = driver.connect(db.jdbcUrl(), properties);
                    java.sql.Statement statement = connection.createStatement()) {
                statement.setQueryTimeout(seconds);
                String first = null;
                try (java.sql.ResultSet rows = statement.executeQuery(db.query())) {
                    if (rows.next()) {
                        first = String.valueOf(rows.getObject(1));
                    }
                }
                long elapsed = millis(start);
                return CheckResult.up(spec.name(), elapsed, 0, db.shown() + ": query ran in " + elapsed + " ms"
                        + (first == null ? ", no row" : ", first value " + (first.length() > 80 ? first.substring(0, 80) : first)), null);
            } catch (java.sql.SQLException e) {
                String cause = mysql ? mysqlCause(e) : postgresCause(e);
                return CheckResult.down(spec.name(), cause, millis(start), 0, db.shown() + ": " + e.getMessage(), null);
            }
        }, false);
    }

    /** The cause of a failed postgres check, from the server's SQL state (or what kept it from answering). */
    static String postgresCause(java.sql.SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (state.startsWith("28")) {
            return "auth";
        }
        if (state.equals("3D000")) {
            return "database";
        }
        String unreached = unreached(e, state.equals("57014"));
        return unreached != null ? unreached : state.startsWith("08") ? "refused" : "query";
    }

    /**
     * The cause of a failed mysql check, from the server's error number (1045 access denied, 1044 no access to the
     * database, 1049 unknown database) or what kept it from answering.
     */
    static String mysqlCause(java.sql.SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        int code = e.getErrorCode();
        if (code == 1045 || code == 1698 || code == 1044 || state.startsWith("28")) {
            return "auth";
        }
        if (code == 1049) {
            return "database";
        }
        // 1317: query interrupted, 3024: statement timeout (MySQL), 1969: statement timeout (MariaDB)
        String unreached = unreached(e, code == 1317 || code == 3024 || code == 1969);
        return unreached != null ? unreached : state.startsWith("08") ? "refused" : "query";
    }

    /** refused, timeout or dns when the cause chain says the server was not reached (or did not answer in time). */
    private static String unreached(java.sql.SQLException e, boolean timedOut) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.ConnectException) {
                return "refused";
            }
            if (t instanceof java.net.SocketTimeoutException || t instanceof java.sql.SQLTimeoutException || timedOut) {
                return "timeout";
            }
            if (t instanceof java.net.UnknownHostException) {
                return "dns";
            }
        }
        return null;
    }

    /**
     * A redis check, as Uptime Kuma's Redis monitor: one connection (TLS for {@code rediss://}), {@code AUTH} when the
     * URL has a password, {@code SELECT} of its database number, then {@code PING}; up on {@code PONG}, down with cause
     * {@code auth} (password refused, or needed and not given), {@code database} (no such database number), {@code
     * error} (the server said something else, such as {@code LOADING} while it reads its data back), or why nothing
     * answered ({@code refused}, {@code timeout}, {@code tls}, {@code error}).
     */
    private Future<CheckResult> redis(CheckSpec spec) {
        long start = System.nanoTime();
        CheckSpec.Database db = spec.database();
        NetClient client = !db.tls() ? tcp : spec.ignoreTlsErrors() ? tls : secure;
        SocketAddress address = SocketAddress.inetSocketAddress(spec.port(), spec.host());
        Future<io.vertx.core.net.NetSocket> connected = db.tls() ? client.connect(address, spec.host()) : client.connect(address);
        return withTimeout(connected, spec.timeout()).compose(socket -> {
            io.vertx.core.Promise<CheckResult> verdict = io.vertx.core.Promise.promise();
            List<String> commands = new java.util.ArrayList<>();
            Buffer out = Buffer.buffer();
            if (db.password() != null) {
                commands.add("AUTH");
                out.appendBuffer(RedisReplies.command(db.user() == null ? List.of("AUTH", db.password())
                        : List.of("AUTH", db.user(), db.password())));
            }
            if (db.index() != 0) {
                commands.add("SELECT");
                out.appendBuffer(RedisReplies.command(List.of("SELECT", Integer.toString(db.index()))));
            }
            commands.add("PING");
            out.appendBuffer(RedisReplies.command(List.of("PING")));
            RedisReplies replies = new RedisReplies();
            long left = Math.max(1, spec.timeout().toMillis() - millis(start));
            long timer = vertx.setTimer(left, id -> verdict.tryComplete(CheckResult.down(spec.name(), "timeout", millis(start), 0,
                    db.shown() + ": connected, but no answer to " + String.join(", ", commands) + " within "
                            + spec.timeout().toMillis() + " ms", null)));
            socket.handler(data -> {
                List<String> got;
                try {
                    got = replies.feed(data);
                } catch (IllegalStateException e) {
                    verdict.tryComplete(CheckResult.down(spec.name(), "error", millis(start), 0, db.shown() + ": " + e.getMessage(), null));
                    return;
                }
                if (got.size() >= commands.size() || got.stream().anyMatch(reply -> reply.startsWith("-"))) {
                    verdict.tryComplete(judgeRedis(spec, commands, got, millis(start)));
                }
            });
            socket.closeHandler(closed -> verdict.tryComplete(CheckResult.down(spec.name(), "error", millis(start), 0,
                    db.shown() + ": the server closed the connection before it answered", null)));
            socket.exceptionHandler(error -> verdict.tryComplete(failure(spec, error, millis(start))));
            socket.write(out);
            return verdict.future().onComplete(done -> {
                vertx.cancelTimer(timer);
                socket.close();
            });
        }).recover(error -> Future.succeededFuture(failure(spec, error, millis(start))));
    }

    /**
     * A docker check, as Uptime Kuma's Docker Container monitor: asks the engine's API about the container
     * ({@code GET /containers/<name>/json}); up when it runs and, if it has a health check, is healthy; down with cause
     * {@code container} when it is missing, not running (exited, with its code; restarting; paused), unhealthy or still
     * starting (its health check has not passed yet), or with why the engine did not answer.
     */
    private Future<CheckResult> docker(CheckSpec spec) {
        long start = System.nanoTime();
        CheckSpec.Docker docker = spec.docker();
        String path = "/containers/" + java.net.URLEncoder.encode(docker.container(), java.nio.charset.StandardCharsets.UTF_8) + "/json";
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setTimeout(spec.timeout().toMillis())
                .setConnectTimeout(spec.timeout().toMillis()).putHeader("User-Agent", "edgestack-monitor/1");
        if (docker.socket() != null) {
            options.setServer(SocketAddress.domainSocketAddress(docker.socket())).setHost("localhost").setPort(80).setURI(path);
        } else {
            options.setAbsoluteURI(docker.base() + path);
        }
        return http.request(options)
                .compose(request -> request.send())
                .compose(response -> body(response).map(body -> judgeDocker(spec, response.statusCode(), body.toString(), millis(start))))
                .recover(error -> Future.succeededFuture(failure(spec, error, millis(start))));
    }

    /** A docker check's verdict from the engine's answer about the container. */
    static CheckResult judgeDocker(CheckSpec spec, int status, String body, long latency) {
        String container = "container " + spec.docker().container();
        if (status == 404) {
            return CheckResult.down(spec.name(), CheckResult.CONTAINER, latency, 0, "no such " + container + " on "
                    + spec.docker().dockerHost(), null);
        }
        io.vertx.core.json.JsonObject state;
        try {
            state = status == 200 ? new io.vertx.core.json.JsonObject(body).getJsonObject("State") : null;
        } catch (RuntimeException e) {
            state = null;
        }
        if (state == null) {
            return CheckResult.down(spec.name(), "error", latency, 0, "the Docker engine at " + spec.docker().dockerHost()
                    + " answered HTTP " + status + ": " + snippet(body), null);
        }
        String said = state.getString("Status", "unknown");
        io.vertx.core.json.JsonObject health = state.getJsonObject("Health");
        String healthStatus = health == null ? null : health.getString("Status");
        if (!state.getBoolean("Running", false) || state.getBoolean("Paused", false) || state.getBoolean("Restarting", false)) {
            String why = switch (said) {
                case "exited", "dead" -> said + " with code " + state.getValue("ExitCode")
                        + (state.getBoolean("OOMKilled", false) ? " (killed: out of memory)" : "")
                        + (state.getString("Error", "").isEmpty() ? "" : ": " + state.getString("Error"))
                        + (state.getString("FinishedAt", "").startsWith("0001") ? "" : ", at " + state.getString("FinishedAt"));
                default -> said;
            };
            return CheckResult.down(spec.name(), CheckResult.CONTAINER, latency, 0, container + " is " + why, null);
        }
        if (healthStatus != null && !healthStatus.equals("healthy")) {
            String output = "";
            io.vertx.core.json.JsonArray log = health.getJsonArray("Log");
            if (log != null && !log.isEmpty() && log.getValue(log.size() - 1) instanceof io.vertx.core.json.JsonObject last) {
                String text = last.getString("Output", "").strip();
                output = " (its health check exited with " + last.getValue("ExitCode") + (text.isEmpty() ? "" : ": " + snippet(text)) + ")";
            }
            return CheckResult.down(spec.name(), CheckResult.CONTAINER, latency, 0, container + " is running, but "
                    + healthStatus + output, null);
        }
        return CheckResult.up(spec.name(), latency, 0, container + " is running" + (healthStatus == null ? "" : ", healthy")
                + (state.getString("StartedAt", "").isEmpty() ? "" : ", since " + state.getString("StartedAt")), null);
    }

    /** A redis check's verdict from the replies to its commands, in the order sent (an error reply ends them). */
    static CheckResult judgeRedis(CheckSpec spec, List<String> commands, List<String> replies, long latency) {
        String shown = spec.database().shown();
        for (int i = 0; i < replies.size() && i < commands.size(); i++) {
            String reply = replies.get(i);
            if (!reply.startsWith("-")) {
                continue;
            }
            String said = reply.substring(1);
            String code = said.split(" ", 2)[0];
            String cause = switch (code) {
                case "NOAUTH", "WRONGPASS", "NOPERM" -> "auth";
                default -> commands.get(i).equals("AUTH") ? "auth" : commands.get(i).equals("SELECT") ? "database" : "error";
            };
            return CheckResult.down(spec.name(), cause, latency, 0, shown + ": " + commands.get(i) + " answered: "
                    + (said.length() > 200 ? said.substring(0, 200) : said), null);
        }
        String pong = replies.get(commands.size() - 1);
        if (!pong.equals("+PONG")) {
            return CheckResult.down(spec.name(), "error", latency, 0, shown + ": PING answered " + pong, null);
        }
        return CheckResult.up(spec.name(), latency, 0, shown + ": PONG in " + latency + " ms", null);
    }

    /** A ping run's verdict from its exit status and output (iputils: 0 replied, 1 no reply, 2 other error). */
    static CheckResult judgePing(CheckSpec spec, int exit, String output, long elapsed, long seconds) {
        java.util.regex.Matcher rtt = RTT.matcher(output);
        if (exit == 0 && rtt.find()) {
            double ms = Double.parseDouble(rtt.group(1));
            return CheckResult.up(spec.name(), Math.round(ms), 0, "reply from " + spec.host() + " in "
                    + String.format(java.util.Locale.ROOT, "%.2f", ms) + " ms", null);
        }
        String said = output.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("PING ")
                && !l.startsWith("---")).findFirst().orElse("").replaceAll("\\s+", " ");
        if (exit == 1) {
            return CheckResult.down(spec.name(), "timeout", elapsed, 0, "no reply to ping " + spec.host() + " in " + seconds + " s", null);
        }
        String lower = said.toLowerCase(java.util.Locale.ROOT);
        boolean name = lower.contains("name or service not known") || lower.contains("unknown host")
                || lower.contains("temporary failure in name resolution") || lower.contains("no address associated");
        return CheckResult.down(spec.name(), name ? "dns" : "error", elapsed, 0, "ping " + spec.host() + ": "
                + (said.isEmpty() ? "exit status " + exit : said.length() > 200 ? said.substring(0, 200) : said), null);
    }

    /**
     * A grpc check, as Kubernetes' gRPC probes and Uptime Kuma's gRPC monitor: the standard health service
     * ({@code grpc.health.v1.Health/Check}) asked about the check's {@code service} ({@code ""}: the server as a whole),
     * over HTTP/2 in clear text ({@code grpc://}) or over TLS ({@code grpcs://}). Up when it answers {@code SERVING};
     * down with cause {@code grpc} when it answers another status ({@code NOT_SERVING}, {@code SERVICE_UNKNOWN}) or a
     * gRPC error ({@code UNIMPLEMENTED}: the server has no health service), {@code status} when the HTTP answer is not
     * 200 (a proxy in front said 502), or why nothing answered ({@code refused}, {@code timeout}, {@code tls},
     * {@code error}).
     */
    private Future<CheckResult> grpc(CheckSpec spec) {
        long start = System.nanoTime();
        boolean tls = spec.url().getScheme().equals("grpcs");
        HttpClient client = !tls ? grpc : spec.ignoreTlsErrors() ? grpcLenient : grpcSecure;
        RequestOptions options = GrpcHealth.options(spec.host(), spec.port(), spec.timeout().toMillis(), "edgestack-monitor/1")
                .setTimeout(spec.timeout().toMillis());
        spec.headers().forEach(options::putHeader);
        return client.request(options)
                // the body's reader set as the answer's head is handed over: a later one may miss what came with it
                .compose(request -> request.send(GrpcHealth.request(spec.service()))
                        .compose(response -> body(response).map(body -> judgeGrpc(spec, response.statusCode(), body,
                                GrpcHealth.verdict(response, body), millis(start)))))
                .recover(error -> Future.succeededFuture(failure(spec, error, millis(start))));
    }

    static CheckResult judgeGrpc(CheckSpec spec, int httpStatus, Buffer body, GrpcHealth.Verdict verdict, long latency) {
        String line = spec.target() + ": " + verdict.said() + " in " + latency + " ms";
        if (httpStatus != 200) { // a proxy in front failed: its page says why
            return CheckResult.down(spec.name(), "status", latency, httpStatus, line
                    + (body.length() == 0 ? "" : ": " + snippet(body.toString())), null);
        }
        if (!verdict.serving()) {
            return CheckResult.down(spec.name(), CheckResult.GRPC, latency, httpStatus, line, null);
        }
        if (spec.maxLatency() != null && latency > spec.maxLatency().toMillis()) {
            return CheckResult.down(spec.name(), "latency", latency, httpStatus, line + ", over the limit of "
                    + spec.maxLatency().toMillis() + " ms", null);
        }
        return CheckResult.up(spec.name(), latency, httpStatus, line, null);
    }

    private Future<CheckResult> http(CheckSpec spec) {
        long start = System.nanoTime();
        RequestOptions options = new RequestOptions().setAbsoluteURI(spec.url().toString())
                .setMethod(HttpMethod.valueOf(spec.method())).setFollowRedirects(spec.followRedirects())
                .setTimeout(spec.timeout().toMillis()).setConnectTimeout(spec.timeout().toMillis())
                .putHeader("User-Agent", "edgestack-monitor/1");
        spec.headers().forEach(options::putHeader);
        if (spec.body() != null && !spec.headers().keySet().stream().anyMatch("Content-Type"::equalsIgnoreCase)) {
            // as Uptime Kuma's JSON body; a header-Content-Type of the check says otherwise
            options.putHeader("Content-Type", spec.body().stripLeading().startsWith("{") || spec.body().stripLeading().startsWith("[")
                    ? "application/json" : "text/plain; charset=utf-8");
        }
        return (spec.ignoreTlsErrors() ? lenient : http).request(options)
                .compose(request -> spec.body() == null ? request.send() : request.send(spec.body()))
                .compose(response -> body(response).map(body -> judge(spec, response, body, millis(start))))
                .recover(error -> Future.succeededFuture(failure(spec, error, millis(start))));
    }

    /** The certificate the answer came with (of the last hop, after redirects), or null over plain HTTP. */
    private static X509Certificate leaf(HttpClientResponse response) {
        try {
            HttpConnection connection = response.request().connection();
            if (connection != null && connection.isSsl()) {
                List<Certificate> chain = connection.peerCertificates();
                return chain.isEmpty() || !(chain.get(0) instanceof X509Certificate x509) ? null : x509;
            }
        } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
            return null;
        }
        return null;
    }

    private static Future<Buffer> body(HttpClientResponse response) {
        return response.body().map(body -> body.length() > MAX_BODY ? body.slice(0, MAX_BODY) : body);
    }

    private static CheckResult judge(CheckSpec spec, HttpClientResponse response, Buffer body, long latency) {
        int status = response.statusCode();
        String text = body.toString();
        String line = "HTTP " + status + " in " + latency + " ms";
        String cacheStatus = response.getHeader("Cache-Status");
        String layer = Layers.failed(status, response.getHeader("Proxy-Status"), cacheStatus);
        X509Certificate leaf = leaf(response);
        Long days = leaf == null ? null : Duration.between(Instant.now(), leaf.getNotAfter().toInstant()).toDays();
        CheckResult verdict = verdict(spec, status, text, line, latency).withCertDaysLeft(days);
        if (!verdict.ok()) {
            return verdict.withLayer(layer);
        }
        if (leaf != null && spec.tlsDays() > 0 && days < spec.tlsDays()) {
            Instant notAfter = leaf.getNotAfter().toInstant();
            String subject = leaf.getSubjectX500Principal().getName();
            return CheckResult.down(spec.name(), CheckResult.CERTIFICATE, latency, status, line + ", but certificate " + subject
                    + (notAfter.isBefore(Instant.now()) ? " expired on " + notAfter
                            : " expires in " + days + " day(s), on " + notAfter + " (threshold " + spec.tlsDays() + ")"), days);
        }
        String stale = spec.alertOnStale() ? Layers.staleBecauseOriginFailed(cacheStatus) : null;
        if (stale != null) {
            return CheckResult.stale(spec.name(), latency, status, line + ", but the cache's stale copy: the origin failed ("
                    + stale + ")");
        }
        return verdict;
    }

    private static CheckResult verdict(CheckSpec spec, int status, String text, String line, long latency) {
        if (!spec.accepts(status)) {
            return CheckResult.down(spec.name(), "status", latency, status, line + " (expected " + expected(spec) + "): "
                    + snippet(text), null);
        }
        if (spec.keyword() != null && !text.contains(spec.keyword())) {
            return CheckResult.down(spec.name(), "keyword", latency, status, line + ": '" + spec.keyword()
                    + "' not found in the body: " + snippet(text), null);
        }
        if (spec.keywordAbsent() != null && text.contains(spec.keywordAbsent())) {
            return CheckResult.down(spec.name(), "keyword", latency, status, line + ": '" + spec.keywordAbsent()
                    + "' found in the body", null);
        }
        if (spec.jsonPath() != null) {
            String why = JsonCondition.failure(spec.jsonPath(), text);
            if (why != null) {
                return CheckResult.down(spec.name(), "json", latency, status, line + ": " + why, null);
            }
        }
        if (spec.maxLatency() != null && latency > spec.maxLatency().toMillis()) {
            return CheckResult.down(spec.name(), "latency", latency, status, line + ", over the limit of "
                    + spec.maxLatency().toMillis() + " ms", null);
        }
        return CheckResult.up(spec.name(), latency, status, line, null);
    }

    private Future<CheckResult> tcp(CheckSpec spec) {
        long start = System.nanoTime();
        return withTimeout(tcp.connect(SocketAddress.inetSocketAddress(spec.port(), spec.host())), spec.timeout())
                .map(socket -> {
                    socket.close();
                    long latency = millis(start);
                    return CheckResult.up(spec.name(), latency, 0, "connected in " + latency + " ms", null);
                }).recover(error -> Future.succeededFuture(failure(spec, error, millis(start))));
    }

    private Future<CheckResult> tls(CheckSpec spec) {
        long start = System.nanoTime();
        return withTimeout(tls.connect(SocketAddress.inetSocketAddress(spec.port(), spec.host()), spec.host()), spec.timeout())
                .map(socket -> {
                    long latency = millis(start);
                    try {
                        List<Certificate> chain = socket.peerCertificates();
                        X509Certificate leaf = (X509Certificate) chain.get(0);
                        Instant notAfter = leaf.getNotAfter().toInstant();
                        long days = Duration.between(Instant.now(), notAfter).toDays();
                        String subject = leaf.getSubjectX500Principal().getName();
                        if (notAfter.isBefore(Instant.now())) {
                            return CheckResult.down(spec.name(), "tls", latency, 0, "certificate " + subject + " expired on "
                                    + notAfter, days);
                        }
                        if (days < spec.tlsDays()) {
                            return CheckResult.down(spec.name(), "tls", latency, 0, "certificate " + subject + " expires in "
                                    + days + " day(s), on " + notAfter + " (threshold " + spec.tlsDays() + ")", days);
                        }
                        return CheckResult.up(spec.name(), latency, 0, "certificate valid for " + days + " more day(s)", days);
                    } catch (Exception e) {
                        return CheckResult.down(spec.name(), "tls", latency, 0, "no peer certificate: " + e.getMessage(), null);
                    } finally {
                        socket.close();
                    }
                }).recover(error -> Future.succeededFuture(failure(spec, error, millis(start))));
    }

    /**
     * A dns check: asks its resolver (or the system's first) for the record, with the check's timeout; up when there is
     * an answer and every expected value is among the answers.
     */
    private Future<CheckResult> dns(CheckSpec spec) {
        long start = System.nanoTime();
        CheckSpec.Server server = spec.resolver() != null ? CheckSpec.server(spec.resolver(), "") : systemResolver();
        if (server == null) {
            return Future.succeededFuture(CheckResult.down(spec.name(), "dns", 0, 0, spec.target()
                    + ": no DNS server to ask (/etc/resolv.conf names none): set resolver", null));
        }
        DnsClient client = vertx.createDnsClient(new DnsClientOptions().setHost(server.host()).setPort(server.port())
                .setQueryTimeout(spec.timeout().toMillis()).setRecursionDesired(true));
        String name = spec.host();
        Future<List<String>> answers = switch (spec.record()) {
            case "AAAA" -> client.resolveAAAA(name);
            case "CNAME" -> client.resolveCNAME(name);
            case "MX" -> client.resolveMX(name).map(records -> records.stream().map(MxRecord::name).toList());
            case "TXT" -> client.resolveTXT(name);
            case "NS" -> client.resolveNS(name);
            default -> client.resolveA(name);
        };
        return answers.map(found -> judgeDns(spec, found, millis(start)))
                .recover(error -> Future.succeededFuture(dnsFailure(spec, error, millis(start))))
                .onComplete(done -> client.close());
    }

    static CheckResult judgeDns(CheckSpec spec, List<String> found, long latency) {
        java.util.Set<String> answers = new java.util.LinkedHashSet<>();
        for (String answer : found) {
            try {
                answers.add(CheckSpec.normaliseAnswer(answer, spec.record()));
            } catch (IllegalArgumentException e) {
                answers.add(answer);
            }
        }
        String line = spec.target() + " → " + (answers.isEmpty() ? "no answer" : String.join(", ", answers)) + " in "
                + latency + " ms";
        if (answers.isEmpty()) {
            return CheckResult.down(spec.name(), "dns", latency, 0, line, null);
        }
        List<String> missing = spec.expected().stream().filter(value -> !answers.contains(value)).toList();
        if (!missing.isEmpty()) {
            return CheckResult.down(spec.name(), "mismatch", latency, 0, line + " (expected " + String.join(", ", missing)
                    + " among them)", null);
        }
        return CheckResult.up(spec.name(), latency, 0, line, null);
    }

    private static CheckResult dnsFailure(CheckSpec spec, Throwable error, long latency) {
        if (error instanceof DnsException dns) {
            return CheckResult.down(spec.name(), "dns", latency, 0, spec.target() + ": " + dns.code().name(), null);
        }
        String message = String.valueOf(error.getMessage());
        boolean timeout = message.toLowerCase(java.util.Locale.ROOT).contains("timeout");
        return CheckResult.down(spec.name(), timeout ? "timeout" : "dns", latency, 0, spec.target() + ": "
                + (timeout ? "no answer within " + spec.timeout().toMillis() + " ms" : message), null);
    }

    /** The first {@code nameserver} of {@code /etc/resolv.conf}, read at each run (it may change), or null. */
    static CheckSpec.Server systemResolver() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/etc/resolv.conf"))) {
                String[] words = line.trim().split("\\s+");
                if (words.length >= 2 && words[0].equals("nameserver")) {
                    String address = words[1].contains("%") ? words[1].substring(0, words[1].indexOf('%')) : words[1];
                    return new CheckSpec.Server(address, 53);
                }
            }
        } catch (java.io.IOException e) {
            // no file: no resolver
        }
        return null;
    }

    private <T> Future<T> withTimeout(Future<T> future, Duration timeout) {
        io.vertx.core.Promise<T> promise = io.vertx.core.Promise.promise();
        long timer = vertx.setTimer(timeout.toMillis(), id -> promise.tryFail(new TimeoutException(
                "no connection within " + timeout.toMillis() + " ms")));
        future.onComplete(result -> {
            vertx.cancelTimer(timer);
            if (result.failed()) {
                promise.tryFail(result.cause());
            } else if (!promise.tryComplete(result.result()) && result.result() instanceof io.vertx.core.net.NetSocket late) {
                late.close();
            }
        });
        return promise.future();
    }

    /** Classifies a failure to get an answer: timeout, refused, tls or error. */
    static CheckResult failure(CheckSpec spec, Throwable error, long latency) {
        String message = String.valueOf(error.getMessage());
        String lower = message.toLowerCase();
        String cause;
        if (error instanceof TimeoutException || error instanceof io.netty.channel.ConnectTimeoutException
                || lower.contains("timeout") || lower.contains("timed out")) {
            cause = "timeout";
        } else if (error instanceof ConnectException || lower.contains("connection refused")) {
            cause = "refused";
        } else if (error instanceof SSLException || error.getCause() instanceof SSLException || lower.contains("ssl")
                || lower.contains("certificate")) {
            cause = "tls";
        } else {
            cause = "error";
        }
        // Nothing answered (refused, timed out, closed, TLS handshake failed): the layer the check enters the suite
        // by is the one that failed (when the check says which).
        return CheckResult.down(spec.name(), cause, latency, 0, spec.target() + ": " + message, null)
                .withLayer(spec.entryLayer());
    }

    private static String expected(CheckSpec spec) {
        StringBuilder out = new StringBuilder();
        for (int[] range : spec.expectedStatus()) {
            out.append(out.length() == 0 ? "" : ",").append(range[0] == range[1] ? "" + range[0] : range[0] + "-" + range[1]);
        }
        return out.toString();
    }

    private static String snippet(String body) {
        String flat = body.replaceAll("\\s+", " ").trim();
        return flat.isEmpty() ? "(empty body)" : flat.length() <= 160 ? flat : flat.substring(0, 159) + "…";
    }

    private static long millis(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }
}
