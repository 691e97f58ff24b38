package io.edgestack.proxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class SelectorTest {

    private static List<Upstream> upstreams(int n) {
        List<Upstream> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(new Upstream("http://10.0.0." + i + ":80", "10.0.0." + i, 80, false,
                    new PassiveHealth(3, 1000, 5000, System::currentTimeMillis)));
        }
        return list;
    }

    @Test
    void roundRobinVisitsEachUpstreamInTurn() {
        List<Upstream> pool = upstreams(3);
        RoundRobinSelector selector = new RoundRobinSelector();
        for (int i = 0; i < 9; i++) {
            assertEquals(pool.get(i % 3), selector.select(pool, null));
        }
    }

    @Test
    void leastConnectionsPicksTheIdlestUpstream() {
        List<Upstream> pool = upstreams(3);
        pool.get(0).begin();
        pool.get(0).begin();
        pool.get(2).begin();
        assertEquals(pool.get(1), new LeastConnectionsSelector().select(pool, null));
        pool.get(1).begin();
        pool.get(1).begin();
        assertEquals(pool.get(2), new LeastConnectionsSelector().select(pool, null));
    }

    @Test
    void randomOfTwoNeverPicksTheBusiestOfTwo() {
        List<Upstream> pool = upstreams(2);
        for (int i = 0; i < 5; i++) {
            pool.get(0).begin();
        }
        for (int i = 0; i < 50; i++) {
            assertEquals(pool.get(1), new RandomTwoSelector().select(pool, null));
        }
    }

    @Test
    void hashingKeepsKeysOnTheirUpstreamAndMovesOnlyTheKeysOfOneThatLeaves() {
        List<Upstream> pool = upstreams(4);
        Map<String, Upstream> before = new HashMap<>();
        for (int i = 0; i < 1000; i++) {
            before.put("client-" + i, HashSelector.byKey(pool, "client-" + i));
        }
        for (Upstream upstream : pool) {
            long owned = before.values().stream().filter(upstream::equals).count();
            assertTrue(owned > 150 && owned < 350, "balanced: " + owned);
        }
        Upstream leaving = pool.get(2);
        List<Upstream> remaining = new ArrayList<>(pool);
        remaining.remove(leaving);
        for (var entry : before.entrySet()) {
            Upstream now = HashSelector.byKey(remaining, entry.getKey());
            if (entry.getValue() != leaving) {
                assertEquals(entry.getValue(), now, "a key of a staying upstream does not move");
            }
        }
    }

    @Test
    void passiveHealthBenchesAfterFailuresInTheWindowThenForgives() {
        AtomicLong clock = new AtomicLong(0);
        PassiveHealth health = new PassiveHealth(3, 1000, 5000, clock::get);
        assertFalse(health.recordFailure());
        clock.set(2000);
        assertFalse(health.recordFailure());
        assertFalse(health.recordFailure(), "the first failure fell out of the window");
        assertTrue(health.recordFailure());
        assertFalse(health.available());
        clock.set(2000 + 5000);
        assertTrue(health.available(), "back after the cooldown");
    }
}
