package io.edgestack.proxy.upstream;

import java.util.List;

import io.vertx.core.http.HttpServerRequest;

/**
 * A load-balancing policy: picks one of the available upstreams for a request (the list is never empty).
 */
public interface Selector {

    Upstream select(List<Upstream> available, HttpServerRequest request);
}
