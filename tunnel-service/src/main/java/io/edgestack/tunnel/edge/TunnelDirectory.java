package io.edgestack.tunnel.edge;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.inject.Singleton;

import io.edgestack.tunnel.auth.TokenRejected;
import io.edgestack.tunnel.auth.TunnelTokens;
import io.edgestack.tunnel.config.HostPattern;
import io.edgestack.tunnel.config.TunnelConfig;
import io.edgestack.tunnel.metrics.TunnelMetrics;
import io.edgestack.tunnel.mux.Mux;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The edge's tunnels: which host names each serves (from configuration) and which connector connections are
 * registered for it right now. Requests are spread over a tunnel's live connections, fewest streams in flight first.
 */
@Singleton
public class TunnelDirectory {

    public record Tunnel(String id, List<HostPattern> hosts, Optional<Instant> notBefore) {
    }

    /** A registered connector connection. */
    public record Session(Mux mux, String tunnel, List<HostPattern> hosts, String replica, String index, String remote,
            Instant since, String tokenId) {
        boolean serves(String host) {
            return hosts.stream().anyMatch(p -> p.matches(host));
        }
    }

    private final Map<String, Tunnel> tunnels = new LinkedHashMap<>();
    private final List<Map.Entry<HostPattern, String>> routes = new ArrayList<>();
    private final Map<String, List<Session>> live = new LinkedHashMap<>();
    private final AtomicInteger turn = new AtomicInteger();
    /** How many more streams in flight a same-event-loop connection may have and still be preferred. */
    private static final int LOCAL_SLACK = 4;

    public TunnelDirectory(TunnelConfig config, TunnelMetrics metrics) {
        config.edge().tunnels().forEach((id, tunnel) -> {
            String key = "edgestack.tunnel.edge.tunnels." + id;
            if (tunnel.hosts().isEmpty()) {
                throw new IllegalArgumentException(key + ".hosts: a tunnel needs at least one host name");
            }
            List<HostPattern> hosts = tunnel.hosts().stream().map(h -> HostPattern.parse(key + ".hosts", h)).toList();
            Optional<Instant> notBefore;
            try {
                notBefore = tunnel.notBefore().map(Instant::parse);
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException(key + ".not-before: '" + tunnel.notBefore().get()
                        + "' is not an ISO-8601 instant (example: 2026-11-24T12:00:00Z)");
            }
            for (HostPattern host : hosts) {
                for (Map.Entry<HostPattern, String> route : routes) {
                    if (route.getKey().equals(host)) {
                        throw new IllegalArgumentException(key + ".hosts: " + host.pattern() + " is already served by tunnel "
                                + route.getValue());
                    }
                }
                routes.add(Map.entry(host, id));
            }
            tunnels.put(id, new Tunnel(id, hosts, notBefore));
            List<Session> sessions = new CopyOnWriteArrayList<>();
            live.put(id, sessions);
            metrics.haConnections(id, sessions::size);
        });
        routes.sort(Comparator.comparingInt((Map.Entry<HostPattern, String> e) -> e.getKey().specificity()).reversed());
    }

    public Map<String, Tunnel> tunnels() {
        return tunnels;
    }

    /** The tunnel that serves {@code name} (a normalised host), the most specific pattern first. */
    public Optional<String> tunnelFor(String name) {
        for (Map.Entry<HostPattern, String> route : routes) {
            if (route.getKey().matches(name)) {
                return Optional.of(route.getValue());
            }
        }
        return Optional.empty();
    }

    /** Checks verified token claims against this edge's tunnels; returns the host patterns the session may serve. */
    public List<HostPattern> authorize(TunnelTokens.Claims claims) throws TokenRejected {
        Tunnel tunnel = tunnels.get(claims.tunnel());
        if (tunnel == null) {
            throw new TokenRejected("unknown-tunnel", 403, "tunnel '" + claims.tunnel() + "' is not configured on this edge");
        }
        if (tunnel.notBefore().isPresent() && claims.issuedAt().isBefore(tunnel.notBefore().get())) {
            throw new TokenRejected("revoked", 401, "token " + claims.id() + " was issued before " + tunnel.notBefore().get()
                    + ", when tokens of tunnel " + tunnel.id() + " were rotated");
        }
        List<HostPattern> hosts = new ArrayList<>();
        for (String host : claims.hosts()) {
            HostPattern pattern;
            try {
                pattern = HostPattern.parse("token host", host);
            } catch (IllegalArgumentException e) {
                throw new TokenRejected("malformed", 401, e.getMessage());
            }
            if (tunnel.hosts().stream().noneMatch(allowed -> covers(allowed, pattern))) {
                throw new TokenRejected("host-not-allowed", 403, "token names host " + host + ", which tunnel " + tunnel.id()
                        + " does not serve on this edge");
            }
            hosts.add(pattern);
        }
        if (hosts.isEmpty()) {
            throw new TokenRejected("malformed", 401, "token names no host");
        }
        return hosts;
    }

    private static boolean covers(HostPattern allowed, HostPattern wanted) {
        String a = allowed.pattern();
        String w = wanted.pattern();
        if (a.equals("*") || a.equals(w)) {
            return true;
        }
        return a.startsWith("*.") && !w.equals("*") && w.endsWith(a.substring(1));
    }

    public void add(Session session) {
        live.get(session.tunnel()).add(session);
    }

    public void remove(Session session) {
        List<Session> sessions = live.get(session.tunnel());
        if (sessions != null) {
            sessions.remove(session);
        }
    }

    public List<Session> sessions(String tunnel) {
        return live.getOrDefault(tunnel, List.of());
    }

    /**
     * A live connection of {@code tunnel} that may serve {@code name} (a normalised host), fewest streams in flight
     * first; null when none.
     */
    public Session pick(String tunnel, String name) {
        List<Session> sessions = live.get(tunnel);
        if (sessions == null || sessions.isEmpty()) {
            return null;
        }
        int n = sessions.size();
        int start = Math.floorMod(turn.getAndIncrement(), n);
        Session best = null;
        for (int i = 0; i < n; i++) {
            Session candidate;
            try {
                candidate = sessions.get((start + i) % n);
            } catch (IndexOutOfBoundsException gone) {
                break;
            }
            if (!candidate.mux().takesNewStreams() || !candidate.serves(name)) {
                continue;
            }
            if (best == null || candidate.mux().activeStreams() < best.mux().activeStreams()) {
                best = candidate;
            }
        }
        // A connection on the caller's own event loop saves two thread hops per frame; take it unless it is busier.
        if (best != null && !best.mux().isLocal()) {
            for (Session candidate : sessions) {
                if (candidate.mux().isLocal() && candidate.mux().takesNewStreams() && candidate.serves(name)
                        && candidate.mux().activeStreams() <= best.mux().activeStreams() + LOCAL_SLACK) {
                    return candidate;
                }
            }
        }
        return best;
    }

    /** Per-tunnel state for the admin API. */
    public JsonArray state() {
        JsonArray out = new JsonArray();
        tunnels.values().forEach(tunnel -> {
            JsonArray connections = new JsonArray();
            for (Session session : sessions(tunnel.id())) {
                long rtt = session.mux().roundTripNanos();
                connections.add(new JsonObject()
                        .put("connection", session.mux().name())
                        .put("replica", session.replica())
                        .put("index", session.index())
                        .put("remote", session.remote())
                        .put("since", session.since().toString())
                        .put("hosts", new JsonArray(session.hosts().stream().map(HostPattern::pattern).toList()))
                        .put("activeStreams", session.mux().activeStreams())
                        .put("takesNewStreams", session.mux().takesNewStreams())
                        .put("heartbeatRttMs", rtt < 0 ? null : rtt / 1e6)
                        .put("tokenId", session.tokenId()));
            }
            out.add(new JsonObject()
                    .put("tunnel", tunnel.id())
                    .put("hosts", new JsonArray(tunnel.hosts().stream().map(HostPattern::pattern).toList()))
                    .put("state", connections.isEmpty() ? "down" : "up")
                    .put("replicas", sessions(tunnel.id()).stream().map(Session::replica).distinct().count())
                    .put("connections", connections));
        });
        return out;
    }
}
