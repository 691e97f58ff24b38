package io.edgestack.proxy.site;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A site's {@code Cache-Control} rules, the first whose pattern matches a path winning. The answer for a path is
 * remembered, for up to {@link #REMEMBERED} paths a site (a site's reload makes new rules, and a new memory): matching
 * the default rules' two patterns took 1.2 % of a proxied 1 KiB answer's CPU (async-profiler), a lookup here a hash of
 * the path. When the memory is full it is emptied and starts again, so that a scan of many distinct paths does not keep
 * the paths asked for every second out of it for good (they are back after their next request each); paths longer than
 * {@link #LONGEST_REMEMBERED} characters (a request line may be 8 KiB long: 4,096 such paths would hold 32 MB) are
 * matched every time.
 */
public final class CacheRules {

    static final int REMEMBERED = 4096;
    static final int LONGEST_REMEMBERED = 256;

    private final List<CacheRule> rules;
    private final ConcurrentHashMap<String, Optional<String>> answers = new ConcurrentHashMap<>();

    public CacheRules(List<CacheRule> rules) {
        this.rules = List.copyOf(rules);
    }

    /** The {@code Cache-Control} of the first rule matching {@code path}, or {@code null} if none does. */
    public String cacheControlFor(String path) {
        Optional<String> known = answers.get(path);
        if (known != null) {
            return known.orElse(null);
        }
        String found = null;
        for (CacheRule rule : rules) {
            if (rule.matches(path)) {
                found = rule.cacheControl();
                break;
            }
        }
        if (path.length() <= LONGEST_REMEMBERED) {
            if (answers.size() >= REMEMBERED) {
                answers.clear();
            }
            answers.put(path, Optional.ofNullable(found));
        }
        return found;
    }

    int remembered() {
        return answers.size();
    }

    boolean remembers(String path) {
        return answers.containsKey(path);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof CacheRules that && rules.equals(that.rules);
    }

    @Override
    public int hashCode() {
        return rules.hashCode();
    }

    @Override
    public String toString() {
        return rules.toString();
    }
}
