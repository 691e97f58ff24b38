package io.edgestack.proxy.upstream;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import io.vertx.core.http.HttpServerRequest;

/** The upstream with the fewest requests in flight; ties are broken at random. */
public final class LeastConnectionsSelector implements Selector {

    @Override
    public Upstream select(List<Upstream> available, HttpServerRequest request) {
        Upstream best = null;
        int ties = 0;
        for (Upstream upstream : available) {
            if (best == null || upstream.active() < best.active()) {
                best = upstream;
                ties = 1;
            } else if (upstream.active() == best.active() && ThreadLocalRandom.current().nextInt(++ties) == 0) {
                best = upstream;
            }
        }
        return best;
    }
}
