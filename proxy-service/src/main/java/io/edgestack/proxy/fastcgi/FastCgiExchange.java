package io.edgestack.proxy.fastcgi;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.jboss.logging.Logger;

import io.edgestack.cluster.ConnectionClose;
import io.edgestack.proxy.files.ReleaseFiles;
import io.edgestack.proxy.http.ErrorPages;
import io.edgestack.proxy.site.FastCgi;
import io.edgestack.proxy.site.Site;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;

/**
 * One request run by a script through a FastCGI server: a connection of its own (closed by the server once it has
 * answered, as nginx's default), the CGI/1.1 parameters PHP expects, the visitor's body streamed as it comes and the
 * answer streamed back, each side read only as fast as the other takes it. The answer's head becomes the response's
 * status and headers ({@code Status:}; {@code Location:} without one is a 302; hop-by-hop headers and PHP's
 * {@code X-Powered-By} dropped); what the script writes to its error stream goes to the log. No connection: 502; a
 * connection not made in {@code connect-timeout} or a server silent for {@code read-timeout} before the answer's head:
 * 504, each with the site's error page and {@code Proxy-Status}; after the head, the visitor's connection is reset.
 */
final class FastCgiExchange implements FastCgiRecords.Reader.Listener, FastCgiConnections.Waiter {

    private static final Logger LOG = Logger.getLogger(FastCgiExchange.class);
    /** The longest head of an answer the script may write. */
    private static final int MAX_HEAD = 64 * 1024;
    private static final Set<String> DROPPED = Set.of("connection", "keep-alive", "transfer-encoding", "te", "trailer",
            "upgrade", "proxy-connection", "status", "x-powered-by");
    private static final int MAX_STDERR_LOGGED = 4096;

    private final Vertx vertx;
    private final NetClient client;
    private final FastCgiConnections connections;
    private final HttpServerRequest request;
    private final Site site;
    private final FastCgi spec;
    private final ReleaseFiles files;
    private final long bodyLimit;
    private final Map<String, String> params;
    private final FastCgiRecords.Reader reader = new FastCgiRecords.Reader(this);

    private NetSocket socket;
    /** The connection was kept from an earlier request: if it closes before a byte of the answer, a new one is tried. */
    private boolean reused;
    /** Waiting for a connection of the route's (keepalive), all of them busy. */
    private boolean waiting;
    private boolean heardAny;
    private Buffer head = Buffer.buffer();
    private boolean headSent;
    private boolean done;
    private long timer = -1;
    /** When the server last sent something (System.nanoTime). */
    private long heardAt;
    /** The server's socket is paused until the visitor takes what was written: its silence is not the server's. */
    private boolean heldBack;
    private long bodyRead;
    private int stderrLogged;

    FastCgiExchange(Vertx vertx, NetClient client, FastCgiConnections connections, HttpServerRequest request, Site site,
            FastCgi spec, ReleaseFiles files, long bodyLimit, Map<String, String> params) {
        this.vertx = vertx;
        this.client = client;
        this.connections = connections;
        this.request = request;
        this.site = site;
        this.spec = spec;
        this.files = files;
        this.bodyLimit = bodyLimit;
        this.params = params;
    }

    /**
     * The parameters of a script run: CGI/1.1 (RFC 3875) as PHP reads them, as Caddy and nginx pass them. Values are
     * byte strings, one character per byte ({@link FastCgiRecords#params} writes them as such): what the visitor sent
     * (headers, the target, the query) is in that form already, as Netty read it, and goes to the script byte for byte,
     * as nginx passes it (written as UTF-8, a visitor's raw {@code ?q=café} reached PHP as {@code cafÃ©}); paths and
     * configured values are text, and go as their UTF-8 bytes.
     *
     * @param release the live release (real path, as the proxy sees it)
     * @param script the script's path in the release ({@code /index.php})
     * @param pathInfo what follows the script's name in the path ({@code /users/7} of {@code /api.php/users/7}), or empty
     * @param scheme {@code http} or {@code https}, as the visitor used
     * @param host the visitor's Host, or null
     * @param client the visitor's address (the trusted proxies' forwarded one when there are any)
     */
    static Map<String, String> params(HttpServerRequest request, FastCgi spec, Path release, String script, String pathInfo,
            String scheme, String host, String client) {
        String releaseDir = bytes(spec.root() == null ? release.toString() : spec.root() + "/" + release.getFileName());
        Map<String, String> params = new LinkedHashMap<>();
        // the visitor's headers first, so that none can stand in for a parameter set below
        request.headers().names().forEach(name -> {
            String lower = name.toLowerCase(Locale.ROOT);
            // Proxy: httpoxy (CVE-2016-5385); a name with '_' would pass for one with '-' (nginx drops them too)
            if (lower.equals("content-type") || lower.equals("content-length") || lower.equals("proxy") || name.indexOf('_') >= 0) {
                return;
            }
            String value = String.join(lower.equals("cookie") ? "; " : ", ", request.headers().getAll(name));
            params.merge("HTTP_" + name.toUpperCase(Locale.ROOT).replace('-', '_'), value, (a, b) -> a + ", " + b);
        });
        params.put("GATEWAY_INTERFACE", "CGI/1.1");
        params.put("SERVER_SOFTWARE", "edgestack");
        params.put("SERVER_PROTOCOL", request.version() == HttpVersion.HTTP_1_0 ? "HTTP/1.0"
                : request.version() == HttpVersion.HTTP_2 ? "HTTP/2.0" : "HTTP/1.1");
        params.put("REQUEST_METHOD", request.method().name());
        params.put("REQUEST_URI", io.edgestack.cluster.Authority.originForm(request.uri()));
        params.put("QUERY_STRING", request.query() == null ? "" : request.query());
        params.put("DOCUMENT_ROOT", releaseDir);
        params.put("DOCUMENT_URI", bytes(script));
        params.put("SCRIPT_NAME", bytes(script));
        params.put("SCRIPT_FILENAME", releaseDir + bytes(script));
        if (!pathInfo.isEmpty()) {
            params.put("PATH_INFO", bytes(pathInfo));
            params.put("PATH_TRANSLATED", releaseDir + bytes(pathInfo));
        }
        String contentType = request.getHeader(HttpHeaders.CONTENT_TYPE);
        if (contentType != null) {
            params.put("CONTENT_TYPE", contentType);
        }
        String contentLength = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        params.put("CONTENT_LENGTH", contentLength == null ? "" : contentLength);
        params.put("REMOTE_ADDR", client == null ? "" : client);
        params.put("REMOTE_PORT", request.remoteAddress() == null ? "" : Integer.toString(request.remoteAddress().port()));
        String name = host == null ? "" : host;
        String port = "https".equals(scheme) ? "443" : "80";
        int colon = name.lastIndexOf(':');
        if (colon > 0 && colon > name.lastIndexOf(']')) {
            port = name.substring(colon + 1);
            name = name.substring(0, colon);
        }
        params.put("SERVER_NAME", name);
        params.put("SERVER_PORT", port);
        if (request.localAddress() != null && request.localAddress().host() != null) {
            params.put("SERVER_ADDR", request.localAddress().host());
        }
        params.put("REQUEST_SCHEME", scheme);
        if ("https".equals(scheme)) {
            params.put("HTTPS", "on");
        }
        spec.env().forEach((key, value) -> params.put(bytes(key), bytes(value)));
        return params;
    }

    /** {@code text} as its UTF-8 bytes, one character per byte (see {@link #params}). */
    private static String bytes(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) >= 0x80) {
                return new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
            }
        }
        return text;
    }

    void run() {
        request.pause();
        if (spec.keepalive() == 0) {
            connect();
            return;
        }
        request.response().closeHandler(v -> abort());
        queue();
    }

    /**
     * A route with keepalive: a connection from the route's (a kept one for a request without a body: should the server
     * have closed it meanwhile, the request is sent again, nothing of it acted on), waited for while all are busy.
     */
    private void queue() {
        waiting = true;
        arm(spec.connectTimeout().toMillis(), () -> {
            if (connections.cancel(spec, this)) {
                waiting = false;
                fail(504, "connection_timeout", "None of the route's " + spec.keepalive()
                        + " connections to the application server came free in time.");
            }
        });
        connections.acquire(spec, this);
    }

    @Override
    public void ready(NetSocket kept) {
        waiting = false;
        cancelTimer();
        if (done) { // the visitor left meanwhile
            if (kept != null) {
                connections.release(spec, kept);
            } else {
                connections.unused(spec);
            }
            return;
        }
        if (kept != null) {
            reused = true;
            start(kept);
        } else {
            connect();
        }
    }

    @Override
    public boolean bodiless() {
        return request.version() != HttpVersion.HTTP_2 && request.getHeader(HttpHeaders.TRANSFER_ENCODING) == null
                && (request.getHeader(HttpHeaders.CONTENT_LENGTH) == null || "0".equals(request.getHeader(HttpHeaders.CONTENT_LENGTH)));
    }

    private void connect() {
        arm(spec.connectTimeout().toMillis(), () -> fail(504, "connection_timeout", "The application server did not accept "
                + "the connection in time."));
        client.connect(spec.server()).onComplete(connected -> {
            if (connected.failed()) {
                if (spec.keepalive() > 0) {
                    connections.unused(spec);
                }
                if (!done) {
                    fail(502, "connection_refused", "The application server cannot be reached.");
                    LOG.warnf("Site %s: FastCGI server %s: %s", site.name(), spec.address(), connected.cause().getMessage());
                }
                return;
            }
            NetSocket socket = connected.result();
            if (spec.keepalive() > 0) {
                connections.opened(spec, socket);
            }
            if (done) { // timed out meanwhile, or the visitor left
                socket.close();
                return;
            }
            start(socket);
        });
    }

    private void start(NetSocket socket) {
        this.socket = socket;
        heardAt = System.nanoTime();
        arm(spec.readTimeout().toMillis(), this::silent);
        socket.handler(this::fromServer);
        socket.exceptionHandler(error -> LOG.debugf("FastCGI connection to %s: %s", spec.address(), error.getMessage()));
        socket.closeHandler(v -> closedByServer(socket));
        Buffer head = FastCgiRecords.begin(spec.keepalive() > 0).appendBuffer(FastCgiRecords.params(params));
        request.response().closeHandler(v -> abort());
        if (request.isEnded()) { // a retry: the (empty) body is over already
            socket.write(head.appendBuffer(FastCgiRecords.endOfStdin()));
            return;
        }
        socket.write(head);
        request.handler(this::fromVisitor);
        request.endHandler(v -> {
            if (!done) {
                this.socket.write(FastCgiRecords.endOfStdin());
            }
        });
        request.exceptionHandler(error -> abort());
        if ("100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT)) && request.version() != HttpVersion.HTTP_1_0) {
            request.response().writeContinue(); // the script is there to read the body: the visitor may send it
        }
        request.resume();
    }

    private void fromVisitor(Buffer chunk) {
        if (done) {
            return;
        }
        bodyRead += chunk.length();
        heardAt = System.nanoTime(); // an upload in progress: the server waits for it
        if (bodyLimit > 0 && bodyRead > bodyLimit) {
            done = true;
            cancelTimer();
            socket.close();
            if (!headSent) {
                ConnectionClose.answer(request, () -> ErrorPages.send(request, 413, "Content Too Large",
                        "The request body is larger than " + bodyLimit + " bytes.", null));
            } else {
                ConnectionClose.abort(request, 0);
            }
            return;
        }
        socket.write(FastCgiRecords.stdin(chunk));
        if (socket.writeQueueFull()) {
            request.pause();
            socket.drainHandler(v -> request.resume());
        }
    }

    private void fromServer(Buffer data) {
        if (done) {
            return;
        }
        heardAt = System.nanoTime();
        heardAny = true;
        try {
            reader.feed(data);
        } catch (IllegalStateException e) {
            LOG.warnf("Site %s: FastCGI server %s: %s", site.name(), spec.address(), e.getMessage());
            broken("The application server's answer is not FastCGI.");
        }
    }

    @Override
    public void stdout(Buffer content) {
        if (done) {
            return;
        }
        HttpServerResponse response = request.response();
        if (!headSent) {
            head.appendBuffer(content);
            int[] split = split(head);
            if (split == null) {
                if (head.length() > MAX_HEAD) {
                    broken("The application's answer has a head of more than " + MAX_HEAD + " bytes.");
                }
                return;
            }
            if (!sendHead(head.getString(0, split[0], "ISO-8859-1"))) {
                return;
            }
            Buffer rest = head.getBuffer(split[1], head.length());
            head = null;
            if (rest.length() == 0) {
                return;
            }
            content = rest;
        }
        response.write(content);
        if (response.writeQueueFull()) {
            socket.pause();
            heldBack = true;
            response.drainHandler(v -> {
                heldBack = false;
                heardAt = System.nanoTime();
                if (!done) {
                    socket.resume();
                }
            });
        }
    }

    @Override
    public void stderr(Buffer content) {
        if (stderrLogged < MAX_STDERR_LOGGED) {
            String text = content.toString(StandardCharsets.UTF_8).strip();
            String shown = text.length() > MAX_STDERR_LOGGED - stderrLogged ? text.substring(0, MAX_STDERR_LOGGED - stderrLogged) + "…" : text;
            stderrLogged += shown.length();
            LOG.warnf("Site %s: %s %s: the script said: %s", site.name(), request.method(), request.path(), shown);
        }
    }

    @Override
    public void end(long appStatus, int protocolStatus) {
        if (done) {
            return;
        }
        if (!headSent) {
            if (protocolStatus != 0 || head == null || head.length() == 0) {
                broken("The application server ended the request without an answer"
                        + (protocolStatus == 2 ? " (it is overloaded)" : protocolStatus != 0 ? " (status " + protocolStatus + ")" : "") + ".");
                return;
            }
            // a head with no blank line after it: the whole output is the head (a script that only sends headers)
            if (!sendHead(head.toString(StandardCharsets.ISO_8859_1))) {
                return;
            }
        }
        done = true;
        cancelTimer();
        if (spec.keepalive() > 0 && request.isEnded()) { // the whole exchange is over on this connection: it may serve again
            connections.release(spec, socket);
        } else {
            socket.close();
        }
        request.response().end();
    }

    /** The head's lines as the response's status and headers; false when the head is malformed (answered 502). */
    private boolean sendHead(String text) {
        HttpServerResponse response = request.response();
        int status = -1;
        String reason = null;
        boolean location = false;
        for (String line : text.split("\r?\n")) {
            if (line.isEmpty()) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0 || !io.edgestack.proxy.http.HeaderNames.TOKEN.matcher(line.substring(0, colon)).matches()) {
                broken("The application's answer has a malformed header line.");
                return false;
            }
            String name = line.substring(0, colon);
            String value = line.substring(colon + 1).strip();
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.equals("status")) {
                try {
                    status = Integer.parseInt(value.length() >= 3 ? value.substring(0, 3) : value);
                    reason = value.length() > 4 ? value.substring(4).strip() : null;
                } catch (NumberFormatException e) {
                    status = -1;
                }
                if (status < 100 || status > 999) {
                    broken("The application's answer has a malformed status.");
                    return false;
                }
                continue;
            }
            if (lower.equals("location")) {
                location = true;
            }
            if (!DROPPED.contains(lower) && io.edgestack.proxy.http.HeaderNames.printable(value)) {
                response.headers().add(name, value);
            }
        }
        response.setStatusCode(status > 0 ? status : location ? 302 : 200);
        if (reason != null && !reason.isEmpty() && io.edgestack.proxy.http.HeaderNames.printable(reason)) {
            response.setStatusMessage(reason);
        }
        if (!response.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
            response.setChunked(true);
        }
        headSent = true;
        return true;
    }

    /**
     * Where the head ends and the body starts: after the first empty line ({@code \n\n} or {@code \n\r\n}); null while
     * it has not come. The head is the text before that empty line's line break.
     */
    static int[] split(Buffer head) {
        for (int i = 0; i + 1 < head.length(); i++) {
            if (head.getByte(i) != '\n') {
                continue;
            }
            if (head.getByte(i + 1) == '\n') {
                return new int[] {i, i + 2};
            }
            if (i + 2 < head.length() && head.getByte(i + 1) == '\r' && head.getByte(i + 2) == '\n') {
                return new int[] {i, i + 3};
            }
        }
        return null;
    }

    /** The read timer: fails the exchange when the server has been silent for read-timeout, else waits for the rest. */
    private void silent() {
        if (done) {
            return;
        }
        long left = spec.readTimeout().toNanos() - (System.nanoTime() - heardAt);
        if (heldBack || left > 1_000_000) {
            left = heldBack ? spec.readTimeout().toNanos() : left;
            arm(left / 1_000_000, this::silent);
            return;
        }
        fail(504, "http_response_timeout", "The application did not answer in time.");
    }

    private void closedByServer(NetSocket closed) {
        if (done || closed != socket) {
            return;
        }
        if (reused && !heardAny) { // a kept connection the server had let go: once more, on another one
            reused = false;
            cancelTimer();
            queue();
            return;
        }
        broken("The application server closed the connection before it answered.");
    }

    /** The server's answer cannot be passed on: 502 before the head, the visitor's connection reset after it. */
    private void broken(String detail) {
        fail(502, "http_protocol_error", detail);
    }

    private void fail(int status, String proxyError, String detail) {
        if (done) {
            return;
        }
        done = true;
        cancelTimer();
        if (socket != null) {
            socket.close();
        }
        if (headSent) {
            ConnectionClose.abort(request, 0);
            return;
        }
        if (!request.isEnded()) { // a body the visitor is still sending is read (and dropped) while the error page goes out
            request.handler(chunk -> { });
            request.resume();
        }
        request.response().putHeader("Proxy-Status", "edgestack-proxy; error=" + proxyError);
        ErrorPages.sendSitePage(vertx, files, request, site.name(), status, status == 504 ? "Gateway Timeout" : "Bad Gateway",
                detail);
    }

    /** The visitor left: the script's connection is closed (PHP-FPM stops the script when it next writes). */
    private void abort() {
        if (waiting && connections.cancel(spec, this)) {
            waiting = false;
        }
        if (!done) {
            done = true;
            cancelTimer();
            if (socket != null) {
                socket.close();
            }
        }
    }

    private void arm(long millis, Runnable action) {
        cancelTimer();
        timer = vertx.setTimer(millis, id -> {
            timer = -1;
            action.run();
        });
    }

    private void cancelTimer() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
            timer = -1;
        }
    }
}
