package io.edgestack.monitor.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.edgestack.monitor.check.CheckResult;

class HourBlockTest {

    @Test
    void packsEachResultInEightBytesAndReadsItBack() {
        Instant hour = Instant.parse("2026-11-24T10:00:00Z");
        HourBlock block = new HourBlock("web", hour, 0, 0, 0, 0, null);
        block.add(new CheckResult("web", hour.plusSeconds(5), true, "ok", 12, 200, "HTTP 200", null));
        block.add(new CheckResult("web", hour.plusSeconds(3599), false, "timeout", 20_000_000, 0, "slow", null));
        block.add(new CheckResult("web", hour.plusSeconds(1800), false, "status", 7, 503, "HTTP 503", null));
        assertEquals(24, block.data.length);
        assertEquals(3, block.total);
        assertEquals(1, block.ok);
        assertEquals(0xFFFFFF, block.latencyMax);
        List<CheckResult> back = HourBlock.decode("web", hour, block.data);
        assertEquals(hour.plusSeconds(5), back.get(0).at());
        assertEquals(true, back.get(0).ok());
        assertEquals(200, back.get(0).status());
        assertEquals(12, back.get(0).latencyMs());
        assertEquals("timeout", back.get(1).cause());
        assertEquals(0xFFFFFF, back.get(1).latencyMs());
        assertEquals("status", back.get(2).cause());
        assertEquals(503, back.get(2).status());
    }

    /** Every cause a failed check can have is read back as that failure, never as a success. */
    @Test
    void everyFailureIsReadBackAsTheFailureItWas() {
        Instant hour = Instant.parse("2026-11-24T10:00:00Z");
        List<String> causes = List.of("status", "timeout", "refused", "keyword", "json", "latency", "tls", "missed-push",
                "error", "dns", "mismatch", CheckResult.CERTIFICATE, CheckResult.UPSIDE_DOWN, "auth", "database", "query", CheckResult.CONTAINER,
                CheckResult.REPORTED, CheckResult.GRPC);
        HourBlock block = new HourBlock("web", hour, 0, 0, 0, 0, null);
        causes.forEach(cause -> block.add(new CheckResult("web", hour.plusSeconds(1), false, cause, 5, 0, cause, null)));
        block.add(new CheckResult("web", hour.plusSeconds(2), false, "a-cause-from-the-future", 5, 0, "?", null));
        List<CheckResult> back = HourBlock.decode("web", hour, block.data);
        for (int i = 0; i < causes.size(); i++) {
            assertEquals(causes.get(i), back.get(i).cause());
            assertEquals(false, back.get(i).ok(), causes.get(i) + " read back as a success");
        }
        assertEquals("error", back.get(causes.size()).cause(), "an unknown failure is an error, not ok");
        assertEquals(false, back.get(causes.size()).ok());
    }
}
