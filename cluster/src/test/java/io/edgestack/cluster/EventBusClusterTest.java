package io.edgestack.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

/** Real Hazelcast members on loopback, each with its own clustered Vert.x, as the services run them. */
class EventBusClusterTest {

    private final List<Vertx> members = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final String name = "test-" + UUID.randomUUID().toString().substring(0, 8);

    private Vertx member() throws Exception {
        return member(Map.of());
    }

    private Vertx member(Map<String, String> more) throws Exception {
        Map<String, String> values = new java.util.HashMap<>(Map.of("edgestack.cluster.enabled", "true",
                "edgestack.cluster.name", name, "edgestack.cluster.port", "15701"));
        values.putAll(more);
        ClusterSettings settings = ClusterSettings.from(new SmallRyeConfigBuilder().withSources(new PropertiesConfigSource(
                values, "test", 500)).build());
        VertxOptions options = new VertxOptions();
        options.getEventBusOptions().setHost(settings.host()).setClusterPublicHost(settings.host());
        Vertx vertx = Vertx.builder().with(options).withClusterManager(new HazelcastClusterManager(HazelcastSetup.config(settings)))
                .buildClustered().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        members.add(vertx);
        return vertx;
    }

    private static void registered(MessageConsumer<?> consumer) throws Exception {
        Promise<Void> done = Promise.promise();
        consumer.completionHandler(done);
        done.future().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void close() throws Exception {
        for (Vertx vertx : members) {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void anEventPublishedOnOneMemberReachesTheOthers() throws Exception {
        long started = System.nanoTime();
        Vertx first = member();
        long firstMillis = (System.nanoTime() - started) / 1_000_000;
        started = System.nanoTime();
        Vertx second = member();
        long secondMillis = (System.nanoTime() - started) / 1_000_000;
        Vertx third = member();
        System.out.printf("cluster join: first member (alone) %d ms, second member %d ms%n", firstMillis, secondMillis);

        LinkedBlockingQueue<JsonObject> onSecond = new LinkedBlockingQueue<>();
        LinkedBlockingQueue<JsonObject> onThird = new LinkedBlockingQueue<>();
        registered(second.eventBus().<JsonObject>consumer("cache.purged", m -> onSecond.add(m.body())));
        registered(third.eventBus().<JsonObject>consumer("cache.purged", m -> onThird.add(m.body())));

        first.eventBus().publish("cache.purged", new JsonObject().put("version", 1).put("kind", "everything"));
        assertEquals("everything", onSecond.poll(10, TimeUnit.SECONDS).getString("kind"));
        assertEquals("everything", onThird.poll(10, TimeUnit.SECONDS).getString("kind"));
        assertTrue(secondMillis < Duration.ofSeconds(30).toMillis());
    }

    @Test
    void membersOnDifferentAddressesJoinAsContainersOnOneNetworkDo() throws Exception {
        // 127.0.0.2 and 127.0.0.3 are loopback too: two hosts, each member bound to its own address only, each listing
        // both, as the services of compose.yaml do with their service names.
        String members = "127.0.0.2,127.0.0.3";
        Vertx first = member(Map.of("edgestack.cluster.host", "127.0.0.2", "edgestack.cluster.members", members));
        Vertx second = member(Map.of("edgestack.cluster.host", "127.0.0.3", "edgestack.cluster.members", members));
        LinkedBlockingQueue<JsonObject> onSecond = new LinkedBlockingQueue<>();
        registered(second.eventBus().<JsonObject>consumer("deploy.completed", m -> onSecond.add(m.body())));
        first.eventBus().publish("deploy.completed", new JsonObject().put("version", 1).put("site", "example"));
        JsonObject received = onSecond.poll(15, TimeUnit.SECONDS);
        assertTrue(received != null, "the event crossed from 127.0.0.2 to 127.0.0.3");
        assertEquals("example", received.getString("site"));
    }

    @Test
    void membersStartedAtTheSameMomentAllStartAndHearEachOther() throws Exception {
        // As `docker compose up` starts the suite: every member looks for the others while they are starting too,
        // and partitions migrate while each writes its node information (ComposeIT once saw a member exit on that).
        int count = 4;
        java.util.concurrent.ExecutorService starters = java.util.concurrent.Executors.newFixedThreadPool(count);
        List<java.util.concurrent.Future<Vertx>> starting = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            starting.add(starters.submit(() -> member()));
        }
        List<Vertx> started = new ArrayList<>();
        try {
            for (java.util.concurrent.Future<Vertx> one : starting) {
                started.add(one.get(120, TimeUnit.SECONDS));
            }
        } finally {
            starters.shutdown();
        }
        List<LinkedBlockingQueue<JsonObject>> heard = new ArrayList<>();
        for (Vertx member : started) {
            LinkedBlockingQueue<JsonObject> queue = new LinkedBlockingQueue<>();
            registered(member.eventBus().<JsonObject>consumer("deploy.completed", m -> queue.add(m.body())));
            heard.add(queue);
        }
        // Members that started alone merge within seconds (the split-brain merge runs every 5 s); an event
        // published before the merge stays local, so publish until every member has heard one.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        boolean all = false;
        while (!all && System.nanoTime() < deadline) {
            started.get(0).eventBus().publish("deploy.completed", new JsonObject().put("site", "example"));
            Thread.sleep(500);
            all = heard.stream().allMatch(queue -> !queue.isEmpty());
        }
        assertTrue(all, "every member heard the first member's event");
        for (Vertx member : started) {
            assertEquals(count, ((io.vertx.core.impl.VertxInternal) member).getClusterManager().getNodes().size());
        }
    }

    @Test
    void aMemberAloneStartsAndWorksLocally() throws Exception {
        Vertx alone = member();
        LinkedBlockingQueue<JsonObject> received = new LinkedBlockingQueue<>();
        registered(alone.eventBus().<JsonObject>consumer("deploy.completed", m -> received.add(m.body())));
        alone.eventBus().publish("deploy.completed", new JsonObject().put("site", "example"));
        assertEquals("example", received.poll(10, TimeUnit.SECONDS).getString("site"));
    }
}
