package io.edgestack.proxy.upstream;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import io.vertx.core.http.HttpServerRequest;

/** "Power of two choices": two upstreams at random, the less busy one wins. */
public final class RandomTwoSelector implements Selector {

    @Override
    public Upstream select(List<Upstream> available, HttpServerRequest request) {
        int size = available.size();
        if (size == 1) {
            return available.get(0);
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int first = random.nextInt(size);
        int second = random.nextInt(size - 1);
        if (second >= first) {
            second++;
        }
        Upstream a = available.get(first);
        Upstream b = available.get(second);
        return b.active() < a.active() ? b : a;
    }
}
