package io.edgestack.monitor.store;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.edgestack.monitor.check.CheckResult;

/**
 * One check's results of one hour, packed 8 bytes each (seconds into the hour: 2, cause: 1, HTTP status: 2, latency in
 * ms: 3), with the hour's aggregates. 120 results of a 30 s check take under 1 KiB.
 */
public final class HourBlock {

    /**
     * Every cause a result can have, by the number it is packed as: new ones go at the end (the numbers are stored). A
     * cause missing here was packed as 0 ("ok") and read back as a success (dns, mismatch, certificate and upside-down
     * failures were, until they were added); an unknown one is now packed as "error".
     */
    static final List<String> CAUSES = List.of("ok", "status", "timeout", "refused", "keyword", "json", "latency", "tls",
            "missed-push", "error", CheckResult.STALE, "dns", "mismatch", CheckResult.CERTIFICATE, CheckResult.UPSIDE_DOWN,
            "auth", "database", "query", CheckResult.CONTAINER, CheckResult.REPORTED, CheckResult.GRPC);
    private static final int ERROR = CAUSES.indexOf("error");
    private static final int SIZE = 8;

    final String check;
    final Instant hour;
    int total;
    int ok;
    long latencySum;
    int latencyMax;
    byte[] data;
    boolean dirty;

    HourBlock(String check, Instant hour, int total, int ok, long latencySum, int latencyMax, byte[] data) {
        this.check = check;
        this.hour = hour;
        this.total = total;
        this.ok = ok;
        this.latencySum = latencySum;
        this.latencyMax = latencyMax;
        this.data = data == null ? new byte[0] : data;
    }

    static Instant hourOf(Instant at) {
        return at.truncatedTo(ChronoUnit.HOURS);
    }

    void add(CheckResult result) {
        int seconds = (int) Math.max(0, Math.min(3599, result.at().getEpochSecond() - hour.getEpochSecond()));
        int cause = CAUSES.indexOf(result.cause());
        if (cause < 0 || cause == 0 && !result.ok()) {
            cause = result.ok() ? 0 : ERROR;
        }
        int status = Math.max(0, Math.min(65535, result.status()));
        int latency = (int) Math.max(0, Math.min(0xFFFFFF, result.latencyMs()));
        int at = data.length;
        data = Arrays.copyOf(data, at + SIZE);
        data[at] = (byte) (seconds >> 8);
        data[at + 1] = (byte) seconds;
        data[at + 2] = (byte) cause;
        data[at + 3] = (byte) (status >> 8);
        data[at + 4] = (byte) status;
        data[at + 5] = (byte) (latency >> 16);
        data[at + 6] = (byte) (latency >> 8);
        data[at + 7] = (byte) latency;
        total++;
        if (result.ok()) {
            ok++;
        }
        latencySum += latency;
        latencyMax = Math.max(latencyMax, latency);
        dirty = true;
    }

    /** The results in this block, oldest first (summaries are not kept for packed results). */
    static List<CheckResult> decode(String check, Instant hour, byte[] data) {
        List<CheckResult> out = new ArrayList<>();
        if (data == null) {
            return out;
        }
        for (int i = 0; i + SIZE <= data.length; i += SIZE) {
            int seconds = (data[i] & 0xff) << 8 | data[i + 1] & 0xff;
            int cause = data[i + 2] & 0xff;
            int status = (data[i + 3] & 0xff) << 8 | data[i + 4] & 0xff;
            int latency = (data[i + 5] & 0xff) << 16 | (data[i + 6] & 0xff) << 8 | data[i + 7] & 0xff;
            String name = cause < CAUSES.size() ? CAUSES.get(cause) : "error";
            out.add(new CheckResult(check, hour.plusSeconds(seconds), cause == 0 || name.equals(CheckResult.STALE), name, latency,
                    status, null, null));
        }
        return out;
    }
}
