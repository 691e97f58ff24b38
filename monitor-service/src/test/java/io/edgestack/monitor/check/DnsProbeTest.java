package io.edgestack.monitor.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.vertx.core.Vertx;

/**
 * dns checks against a real DNS server on loopback (UDP, Netty's DNS codec): records of every kind, expected values,
 * NXDOMAIN, SERVFAIL, a server that never answers, and the settings that are refused.
 */
class DnsProbeTest {

    private static final CheckSpec.Defaults DEFAULTS = new CheckSpec.Defaults(Duration.ofSeconds(30), Duration.ofSeconds(2), 3, 2);

    private static EventLoopGroup group;
    private static Channel server;
    private static Channel silent;
    private static Vertx vertx;
    private static Probes probes;

    /** name|TYPE → the answer records' data (RDATA as bytes); a name absent here is NXDOMAIN, "broken.test" SERVFAIL. */
    private static final Map<String, List<byte[]>> ZONE = new HashMap<>();

    @BeforeAll
    static void start() throws Exception {
        ZONE.put("example.test|A", List.of(new byte[] { (byte) 192, 0, 2, 10 }, new byte[] { (byte) 192, 0, 2, 11 }));
        ZONE.put("example.test|AAAA", List.of(new byte[] { 0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }));
        ZONE.put("www.example.test|CNAME", List.of(name("edge.example.test")));
        ZONE.put("example.test|MX", List.of(mx(10, "mail.example.test")));
        ZONE.put("example.test|TXT", List.of(txt("v=spf1 -all")));
        ZONE.put("example.test|NS", List.of(name("ns1.example.test"), name("ns2.example.test")));
        ZONE.put("empty.test|A", List.of());
        group = new NioEventLoopGroup(1);
        server = new Bootstrap().group(group).channel(NioDatagramChannel.class).handler(new ChannelInitializer<DatagramChannel>() {
            @Override
            protected void initChannel(DatagramChannel channel) {
                channel.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(),
                        new SimpleChannelInboundHandler<DatagramDnsQuery>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext context, DatagramDnsQuery query) {
                                context.writeAndFlush(answer(query));
                            }
                        });
            }
        }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        silent = new Bootstrap().group(group).channel(NioDatagramChannel.class).handler(new ChannelInitializer<DatagramChannel>() {
            @Override
            protected void initChannel(DatagramChannel channel) {
                // reads and drops every query
            }
        }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        vertx = Vertx.vertx();
        probes = new Probes(vertx);
    }

    @AfterAll
    static void stop() throws Exception {
        probes.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        server.close();
        silent.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private static DatagramDnsResponse answer(DatagramDnsQuery query) {
        DnsQuestion question = query.recordAt(DnsSection.QUESTION);
        String name = question.name().endsWith(".") ? question.name().substring(0, question.name().length() - 1) : question.name();
        DatagramDnsResponse response = new DatagramDnsResponse(query.recipient(), query.sender(), query.id());
        response.setRecursionAvailable(true);
        response.addRecord(DnsSection.QUESTION, question);
        if (name.equals("broken.test")) {
            return response.setCode(DnsResponseCode.SERVFAIL);
        }
        List<byte[]> data = ZONE.get(name + "|" + question.type().name());
        if (data == null) {
            boolean known = ZONE.keySet().stream().anyMatch(key -> key.startsWith(name + "|"));
            return response.setCode(known ? DnsResponseCode.NOERROR : DnsResponseCode.NXDOMAIN);
        }
        for (byte[] rdata : data) {
            response.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(question.name(), question.type(), 60,
                    Unpooled.wrappedBuffer(rdata)));
        }
        return response;
    }

    private static byte[] name(String name) {
        ByteBuf out = Unpooled.buffer();
        for (String label : name.split("\\.")) {
            out.writeByte(label.length()).writeBytes(label.getBytes(StandardCharsets.US_ASCII));
        }
        out.writeByte(0);
        byte[] bytes = new byte[out.readableBytes()];
        out.readBytes(bytes);
        return bytes;
    }

    private static byte[] mx(int preference, String exchange) {
        byte[] host = name(exchange);
        byte[] out = new byte[2 + host.length];
        out[0] = (byte) (preference >> 8);
        out[1] = (byte) preference;
        System.arraycopy(host, 0, out, 2, host.length);
        return out;
    }

    private static byte[] txt(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[bytes.length + 1];
        out[0] = (byte) bytes.length;
        System.arraycopy(bytes, 0, out, 1, bytes.length);
        return out;
    }

    private static CheckResult run(Map<String, String> settings) throws Exception {
        Map<String, String> all = new HashMap<>(settings);
        all.put("type", "dns");
        all.putIfAbsent("resolver", "127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort());
        CheckSpec spec = CheckSpec.parse("dns", all, DEFAULTS, "edgestack.monitor.checks.dns.");
        return probes.run(spec).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void answersOfEveryKindAreUpAndSaidInTheSummary() throws Exception {
        CheckResult a = run(Map.of("host", "Example.Test.", "expected", "192.0.2.11"));
        assertTrue(a.ok(), a.summary());
        assertTrue(a.summary().startsWith("A example.test @127.0.0.1:") && a.summary().contains("→ 192.0.2.10, 192.0.2.11 in "),
                a.summary());
        assertTrue(run(Map.of("host", "example.test", "record", "aaaa", "expected", "2001:db8::1")).ok(), "AAAA, short form");
        assertTrue(run(Map.of("host", "www.example.test", "record", "CNAME", "expected", "edge.example.test.")).ok());
        assertTrue(run(Map.of("host", "example.test", "record", "MX", "expected", "mail.example.test")).ok());
        assertTrue(run(Map.of("host", "example.test", "record", "TXT", "expected", "v=spf1 -all")).ok());
        CheckResult ns = run(Map.of("host", "example.test", "record", "NS", "expected", "ns2.example.test,ns1.example.test"));
        assertTrue(ns.ok(), ns.summary());
    }

    @Test
    void anAnswerWithoutAnExpectedValueIsAMismatch() throws Exception {
        CheckResult moved = run(Map.of("host", "example.test", "expected", "192.0.2.10,198.51.100.7"));
        assertEquals("mismatch", moved.cause());
        assertTrue(moved.summary().endsWith("(expected 198.51.100.7 among them)"), moved.summary());
        assertTrue(moved.summary().contains("→ 192.0.2.10, 192.0.2.11"), moved.summary());
    }

    @Test
    void noSuchNameNoAnswerAServerFailureAndSilenceAreDown() throws Exception {
        CheckResult nx = run(Map.of("host", "gone.test"));
        assertEquals("dns", nx.cause());
        assertTrue(nx.summary().endsWith(": NXDOMAIN"), nx.summary());
        CheckResult empty = run(Map.of("host", "empty.test"));
        assertEquals("dns", empty.cause());
        assertTrue(empty.summary().contains("→ no answer"), empty.summary());
        CheckResult servfail = run(Map.of("host", "broken.test"));
        assertEquals("dns", servfail.cause());
        assertTrue(servfail.summary().endsWith(": SERVFAIL"), servfail.summary());
        CheckResult timeout = run(Map.of("host", "example.test", "timeout", "1s",
                "resolver", "127.0.0.1:" + ((InetSocketAddress) silent.localAddress()).getPort()));
        assertEquals("timeout", timeout.cause());
        assertTrue(timeout.summary().endsWith("no answer within 1000 ms"), timeout.summary());
    }

    @Test
    void refusesSettingsThatMakeNoDnsCheck() {
        String prefix = "edgestack.monitor.checks.dns.";
        Map<Map<String, String>, String> bad = Map.of(
                Map.of("type", "dns"), prefix + "host: missing",
                Map.of("type", "dns", "host", "not a name"), prefix + "host: 'not a name' is not a DNS name",
                Map.of("type", "dns", "host", "example.test", "record", "SOA"),
                prefix + "record: 'SOA' is not one of A, AAAA, CNAME, MX, NS, TXT",
                Map.of("type", "dns", "host", "example.test", "expected", "example.test"),
                prefix + "expected: 'example.test' is not an IPv4 address",
                Map.of("type", "dns", "host", "example.test", "resolver", "127.0.0.1:99999"),
                prefix + "resolver: '127.0.0.1:99999' is not host or host:port (like 1.1.1.1 or 127.0.0.1:5353)",
                Map.of("type", "tcp", "host", "db", "port", "5432", "record", "A"), prefix + "record: only for a dns check");
        bad.forEach((settings, message) -> assertEquals(message, org.junit.jupiter.api.Assertions.assertThrows(
                CheckSpec.Invalid.class, () -> CheckSpec.parse("dns", settings, DEFAULTS, prefix)).getMessage(), settings.toString()));
        assertEquals(new CheckSpec.Server("::1", 5353), CheckSpec.server("[::1]:5353", prefix));
        assertEquals(new CheckSpec.Server("9.9.9.9", 53), CheckSpec.server("9.9.9.9", prefix));
    }
}
