package io.edgestack.proxy.cache;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

import java.io.IOException;

import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;

import io.edgestack.proxy.config.ProxyConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;

/**
 * The edge cache's store: responses by variant key in a memory tier bounded in bytes (Caffeine, W-TinyLFU eviction)
 * over an optional disk tier that survives restarts,
 * with indexes by primary key (URL and prefix purges) and by tag, the misses in flight (request collapsing), and the
 * cache metrics. Purges act on the indexes synchronously, so a purge has taken effect when it returns.
 */
@Singleton
public class HttpCache {

    private static final Logger LOG = Logger.getLogger(HttpCache.class);

    /** What a request got from the cache, for the metrics and the X-Cache header. */
    public enum Outcome {
        HIT, MISS, EXPIRED, STALE, REVALIDATED, BYPASS
    }

    private final Cache<String, CachedResponse> entries;
    private final Map<String, List<String>> varyByPrimary = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> variantsByPrimary = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> keysByTag = new ConcurrentHashMap<>();
    private final Map<String, Promise<Void>> inflight = new ConcurrentHashMap<>();
    private final AtomicLong generation = new AtomicLong();
    private final long maxObjectSize;
    private final Duration collapseWait;
    private final Map<Outcome, Counter> outcomes = new ConcurrentHashMap<>();
    private final Map<String, Counter> revalidations = new ConcurrentHashMap<>();
    private final Map<String, Counter> purges = new ConcurrentHashMap<>();
    private final Counter evictions;
    private final MeterRegistry registry;
    private final Vertx vertx;
    private volatile DiskTier disk;

    public HttpCache(ProxyConfig config, MeterRegistry registry, Vertx vertx) throws IOException {
        this.registry = registry;
        this.vertx = vertx;
        this.maxObjectSize = config.cache().maxObjectSize().asLongValue();
        this.collapseWait = config.cache().collapseWait();
        this.evictions = Counter.builder("edgestack.proxy.cache.evictions")
                .description("Entries evicted from the memory tier to stay within its size").register(registry);
        this.entries = Caffeine.newBuilder()
                .maximumWeight(config.cache().memorySize().asLongValue())
                .weigher((String key, CachedResponse entry) -> entry.weight())
                .executor(Runnable::run) // indexes are cleaned before a purge or a put returns
                .removalListener((String key, CachedResponse entry, RemovalCause cause) -> {
                    boolean stillOnDisk = cause.wasEvicted() && disk != null && disk.contains(key);
                    if (key != null && entry != null && cause != RemovalCause.REPLACED && !stillOnDisk) {
                        forget(key, entry.primaryKey(), entry.tags());
                    }
                    if (cause.wasEvicted()) {
                        evictions.increment();
                    }
                })
                .build();
        for (Outcome outcome : Outcome.values()) {
            outcomes.put(outcome, Counter.builder("edgestack.proxy.cache.requests")
                    .description("Requests by what the edge cache did: hit, miss, expired (refetched), stale (served "
                            + "while the origin failed or during stale-while-revalidate), revalidated (304), bypass")
                    .tag("result", outcome.name().toLowerCase()).register(registry));
        }
        Gauge.builder("edgestack.proxy.cache.bytes", this, HttpCache::bytes).baseUnit("bytes")
                .description("Bytes held by the memory tier").register(registry);
        Gauge.builder("edgestack.proxy.cache.entries", entries, c -> c.estimatedSize())
                .description("Responses held by the memory tier").register(registry);
        if (config.cache().diskDir().isPresent()) {
            disk = new DiskTier(config.cache().diskDir().get(), config.cache().diskSize().asLongValue(), evicted -> {
                if (entries.getIfPresent(evicted.key()) == null) {
                    forget(evicted.key(), evicted.primary(), evicted.tags());
                }
                evictions.increment();
            });
            disk.index().values().forEach(indexed -> index(indexed.key(), indexed.primary(), indexed.vary(), indexed.tags()));
            Gauge.builder("edgestack.proxy.cache.disk.bytes", disk, DiskTier::bytes).baseUnit("bytes")
                    .description("Bytes held by the disk tier").register(registry);
            Gauge.builder("edgestack.proxy.cache.disk.entries", disk, d -> d.index().size())
                    .description("Responses held by the disk tier").register(registry);
        }
    }

    long maxObjectSize() {
        return maxObjectSize;
    }

    Duration collapseWait() {
        return collapseWait;
    }

    void count(Outcome outcome) {
        outcomes.get(outcome).increment();
    }

    void countRevalidation(String result) {
        revalidations.computeIfAbsent(result, r -> Counter.builder("edgestack.proxy.cache.revalidations")
                .description("Conditional requests sent to refresh expired entries, by result (not-modified, "
                        + "modified, error)").tag("result", r).register(registry)).increment();
    }

    /** Whether anything is stored under this primary key (else a miss is a {@code uri-miss}). */
    boolean knows(String primary) {
        return varyByPrimary.containsKey(primary);
    }

    /** The stored response for a request if the memory tier holds it (no disk access: for the event loop). */
    CachedResponse inMemory(String primary, HttpServerRequest request) {
        List<String> vary = varyByPrimary.get(primary);
        return vary == null ? null : entries.getIfPresent(CacheKeys.variant(primary, vary, request));
    }

    /** The stored response for a request: from memory, else from disk (read on a worker, then kept in memory). */
    Future<CachedResponse> lookup(String primary, HttpServerRequest request) {
        List<String> vary = varyByPrimary.get(primary);
        if (vary == null) {
            return Future.succeededFuture();
        }
        String key = CacheKeys.variant(primary, vary, request);
        CachedResponse entry = entries.getIfPresent(key);
        if (entry != null || disk == null || !disk.contains(key)) {
            return Future.succeededFuture(entry);
        }
        return vertx.executeBlocking(() -> disk.read(key), false).map(found -> {
            if (found != null) {
                entries.put(key, found);
            } else if (entries.getIfPresent(key) == null) {
                forget(key, primary, Set.of());
            }
            return found;
        });
    }

    /** The purge generation: a response fetched before a purge is not stored after it. */
    long generation() {
        return generation.get();
    }

    /** Stores an entry unless a purge happened since {@code fetchedAt} (the generation when its fetch began). */
    boolean put(CachedResponse entry, HttpServerRequest request, long fetchedAt) {
        if (generation.get() != fetchedAt) {
            return false;
        }
        String key = CacheKeys.variant(entry.primaryKey(), entry.varyNames(), request);
        index(key, entry.primaryKey(), entry.varyNames(), entry.tags());
        entries.put(key, entry);
        if (disk != null) {
            vertx.executeBlocking(() -> {
                synchronized (disk) {
                    if (generation.get() == fetchedAt) { // a purge since then wins over this write
                        disk.write(key, entry);
                    }
                }
                return null;
            }, false).onFailure(e -> LOG.warnf("Cannot write %s to the disk tier: %s", entry.primaryKey(), e.getMessage()));
        }
        return true;
    }

    private void index(String key, String primary, List<String> vary, Set<String> tags) {
        varyByPrimary.put(primary, vary);
        variantsByPrimary.computeIfAbsent(primary, k -> ConcurrentHashMap.newKeySet()).add(key);
        for (String tag : tags) {
            keysByTag.computeIfAbsent(tag, t -> ConcurrentHashMap.newKeySet()).add(key);
        }
    }

    /** Claims the fetch of a key: null for the first miss, else the promise of the fetch already under way. */
    Promise<Void> claim(String variantKey) {
        Promise<Void> mine = Promise.promise();
        Promise<Void> theirs = inflight.putIfAbsent(variantKey, mine);
        return theirs;
    }

    void release(String variantKey) {
        Promise<Void> promise = inflight.remove(variantKey);
        if (promise != null) {
            promise.tryComplete();
        }
    }

    // ---- purges --------------------------------------------------------------------------------------------------

    /** Purges block on the disk tier: call them from a worker thread. */
    public int purgeEverything() {
        generation.incrementAndGet();
        Set<String> keys = new java.util.HashSet<>(entries.asMap().keySet());
        if (disk != null) {
            keys.addAll(disk.index().keySet());
        }
        entries.invalidateAll();
        varyByPrimary.clear();
        variantsByPrimary.clear();
        keysByTag.clear();
        if (disk != null) {
            synchronized (disk) {
                disk.clear();
            }
        }
        counted("everything");
        return keys.size();
    }

    /** The primary keys a purged URL stands for: both schemes, its query normalised as the site's keys are. */
    public static List<String> primaryKeys(java.net.URI url, List<String> ignoredQuery) {
        String host = url.getPort() < 0 ? url.getHost() : url.getHost() + ":" + url.getPort();
        String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        return List.of(CacheKeys.primary("http", host, path, url.getRawQuery(), ignoredQuery),
                CacheKeys.primary("https", host, path, url.getRawQuery(), ignoredQuery));
    }

    /** Removes the entries of these primary keys (every variant). */
    public int purgeKeys(List<String> primaries) {
        return purgeWhere("url", primaries::contains);
    }

    /** Removes the entries whose URL (scheme left out) starts with one of these host+path prefixes. */
    public int purgePrefixes(List<String> hostPathPrefixes) {
        return purgeWhere("prefix", primary -> {
            String rest = primary.substring(primary.indexOf("://") + 3);
            for (String prefix : hostPathPrefixes) {
                if (rest.startsWith(prefix)) {
                    return true;
                }
            }
            return false;
        });
    }

    public int purgeTags(List<String> tags) {
        generation.incrementAndGet();
        int removed = 0;
        for (String tag : tags) {
            Set<String> keys = keysByTag.remove(tag);
            if (keys != null) {
                for (String key : keys) {
                    removed += drop(key) ? 1 : 0;
                }
            }
        }
        counted("tag");
        return removed;
    }

    private int purgeWhere(String kind, Predicate<String> primaryMatches) {
        generation.incrementAndGet();
        int removed = 0;
        for (String primary : new ArrayList<>(variantsByPrimary.keySet())) {
            if (primaryMatches.test(primary)) {
                Set<String> keys = variantsByPrimary.remove(primary);
                varyByPrimary.remove(primary);
                if (keys != null) {
                    for (String key : keys) {
                        removed += drop(key) ? 1 : 0;
                    }
                }
            }
        }
        counted(kind);
        return removed;
    }

    /** Removes one variant from both tiers; true when either held it. */
    private boolean drop(String key) {
        boolean removed = entries.asMap().remove(key) != null;
        if (disk != null && disk.contains(key)) {
            synchronized (disk) {
                disk.remove(key);
            }
            removed = true;
        }
        return removed;
    }

    private void counted(String kind) {
        purges.computeIfAbsent(kind, k -> Counter.builder("edgestack.proxy.cache.purges")
                .description("Purges received, by kind (everything, url, prefix, tag)").tag("kind", k).register(registry))
                .increment();
    }

    private void forget(String key, String primary, Set<String> tags) {
        Set<String> variants = variantsByPrimary.get(primary);
        if (variants != null) {
            variants.remove(key);
            if (variants.isEmpty()) {
                variantsByPrimary.remove(primary, variants);
                varyByPrimary.remove(primary);
            }
        }
        for (String tag : tags) {
            Set<String> keys = keysByTag.get(tag);
            if (keys != null) {
                keys.remove(key);
            }
        }
    }

    private double bytes() {
        return entries.policy().eviction().map(e -> e.weightedSize().orElse(0L)).orElse(0L);
    }
}
