package io.edgestack.proxy.site;

/**
 * A path prefix of a site and what answers it. Static routes serve the site's live release.
 */
public record Route(String pathPrefix, Kind kind) {

    public enum Kind {
        STATIC
    }

    public boolean matches(String path) {
        return path.startsWith(pathPrefix)
                || (pathPrefix.endsWith("/") && path.equals(pathPrefix.substring(0, pathPrefix.length() - 1)));
    }
}
