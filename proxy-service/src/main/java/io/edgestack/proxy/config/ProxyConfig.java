package io.edgestack.proxy.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * proxy-service configuration, under {@code edgestack.proxy}. Sites and routes live in their own file
 * ({@link #sitesFile()}) so that they can be reloaded without a restart.
 */
@ConfigMapping(prefix = "edgestack.proxy")
public interface ProxyConfig {

    /** Folder holding each site's releases and its {@code current} pointer, written by deploy-service. */
    @WithDefault("data/releases")
    Path releasesRoot();

    /** Name of the site served when no configured host name matches the request (and of the built-in site). */
    @WithDefault("example")
    String defaultSite();

    /** YAML file declaring sites, hosts and routes; without it, one static site named {@link #defaultSite()}. */
    Optional<Path> sitesFile();

    /** How often the sites file is checked for changes (it is reloaded when it changes). */
    @WithDefault("2s")
    java.time.Duration sitesFileCheckInterval();

    /** Bearer token of the admin API on the management port (reload, purge); the API is off while unset. */
    Optional<String> adminToken();

    /** Peers whose X-Forwarded-*, Forwarded and X-Request-Id headers are believed (addresses or CIDR blocks). */
    @WithDefault("127.0.0.1/8,::1/128")
    List<String> trustedProxies();

    /**
     * Password checks (bcrypt, for a site's basic authentication) waiting for one of the threads that run them (half the
     * cores); past it a request gets {@code 503} with {@code Retry-After: 1} rather than one more check queued, so that
     * a flood of guesses cannot take the cores from every site.
     */
    @WithDefault("64")
    int passwordChecksWaiting();

    /**
     * Time a visitor has to send a request's head (request line and header fields) once its first byte has come, as
     * nginx's {@code client_header_timeout}: past it the connection is closed (a client trickling a head byte by byte
     * would otherwise hold it as long as the idle timeout allows). {@code 0s} turns it off.
     */
    @WithDefault("60s")
    java.time.Duration requestHeadTimeout();

    /** Responses smaller than this many bytes are sent uncompressed. */
    @WithDefault("512")
    int compressionMinSize();

    /** Write one access-log line per request (logger category {@code edgestack.access}). */
    @WithDefault("true")
    boolean accessLog();

    /** The edge cache of upstream routes (turned on per site with {@code edge-cache} in the sites file). */
    CacheStore cache();

    interface CacheStore {

        /** Memory for cached responses; least valuable entries are evicted first (W-TinyLFU). */
        @WithDefault("256M")
        io.quarkus.runtime.configuration.MemorySize memorySize();

        /** Responses larger than this are streamed through and not stored. */
        @WithDefault("8M")
        io.quarkus.runtime.configuration.MemorySize maxObjectSize();

        /** How long concurrent misses for one key wait for the first one's response before going to the origin. */
        @WithDefault("5s")
        java.time.Duration collapseWait();

        /** Folder of the disk tier, which keeps entries across restarts; none by default (memory only). */
        Optional<Path> diskDir();

        /** Bytes the disk tier may use; least recently used entries are deleted first. */
        @WithDefault("1G")
        io.quarkus.runtime.configuration.MemorySize diskSize();
    }

    /** How static files are read: the live-release check and the in-memory copies of small files. */
    Files files();

    interface Files {

        /**
         * How long a site's {@code current} pointer and a file's size and modification time, once checked, are trusted
         * before they are checked again. A release switch is served within this delay (at once after a purge); 0 checks
         * the disk on every request.
         */
        @WithDefault("500ms")
        java.time.Duration checkInterval();

        /** Memory for copies of small files and their compressed variants (served without touching the disk). */
        @WithDefault("64M")
        io.quarkus.runtime.configuration.MemorySize cacheSize();

        /** Files larger than this are always streamed from disk (compressed on the fly). */
        @WithDefault("1M")
        io.quarkus.runtime.configuration.MemorySize cacheMaxFile();
    }
}
