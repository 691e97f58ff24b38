package io.edgestack.proxy.site;

/**
 * A sites file that cannot be used, naming the key at fault, for example
 * {@code sites[0].routes[1].path: must start with '/'}.
 */
public class SiteConfigException extends RuntimeException {

    private final String key;

    public SiteConfigException(String key, String problem) {
        super(key + ": " + problem);
        this.key = key;
    }

    public String key() {
        return key;
    }
}
