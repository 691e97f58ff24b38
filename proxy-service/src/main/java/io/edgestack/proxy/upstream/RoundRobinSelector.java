package io.edgestack.proxy.upstream;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import io.vertx.core.http.HttpServerRequest;

/** Each upstream in turn. */
public final class RoundRobinSelector implements Selector {

    private final AtomicInteger next = new AtomicInteger();

    @Override
    public Upstream select(List<Upstream> available, HttpServerRequest request) {
        return available.get(Math.floorMod(next.getAndIncrement(), available.size()));
    }
}
