package io.edgestack.proxy.site;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The sites this proxy serves, looked up by host name; a host nobody claims gets the default site.
 */
public final class Sites {

    private final List<Site> all;
    private final Map<String, Site> byHost = new HashMap<>();
    private final Site fallback;

    public Sites(List<Site> all, Site fallback) {
        this.all = List.copyOf(all);
        this.fallback = fallback;
        for (Site site : all) {
            for (String host : site.hosts()) {
                byHost.put(host.toLowerCase(Locale.ROOT), site);
            }
        }
    }

    /** The site for a Host header value (port and case ignored). */
    public Site forHost(String host) {
        if (host == null) {
            return fallback;
        }
        String name = host;
        int colon = name.lastIndexOf(':');
        if (colon > 0 && name.indexOf(']') < colon) {
            name = name.substring(0, colon);
        }
        Site site = byHost.get(name.toLowerCase(Locale.ROOT));
        return site != null ? site : fallback;
    }

    /** Whether requests for this host are served here: a site names it, or the default site answers every host. */
    public boolean serves(String host) {
        return byHost.containsKey(host.toLowerCase(Locale.ROOT)) || fallback.hosts().isEmpty();
    }

    public List<Site> all() {
        return all;
    }

    public Site fallback() {
        return fallback;
    }
}
