package io.framewire.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The unary table's gateway rows: its targets, and its p50 floor from the same run's figures. */
@Timeout(30)
class ReportTableTest {
    private static final JitWarmup.Outcome WARM = new JitWarmup.Outcome(3_000_000_000L, true, true);

    private static SystemResults measured(String system, Transport transport, double p50, double callsPerSecond) {
        SystemResults r = new SystemResults(system, transport);
        r.latency(64, new LatencyProbe.Result(1_000, p50, p50 * 2, p50 * 3, p50 * 4, WARM));
        r.throughput(64, new ThroughputProbe.Result((long) callsPerSecond, 1_000_000_000L, WARM));
        return r;
    }

    private static List<String> ratioRows(BenchOptions options, SystemResults... results) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new ReportTable(options, List.of(results)).print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return Arrays.stream(bytes.toString(StandardCharsets.UTF_8).split("\n"))
                .filter(line -> line.startsWith("gateway")).toList();
    }

    private static final Pattern FIELDS = Pattern.compile("(\\d+ (?:B|KiB))\\s+(\\S+)\\s+((?:[<>]= )?\\S+)\\s+(.*)");

    /** The payload, value, target and verdict of the row that starts with {@code name}. */
    private static List<String> fields(List<String> rows, String name) {
        String row = rows.stream().filter(line -> line.startsWith(name + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no row " + name + " in " + rows));
        Matcher m = FIELDS.matcher(row.substring(name.length()).trim());
        assertTrue(m.matches(), row);
        return List.of(m.group(1), m.group(2), m.group(3), m.group(4));
    }

    @Test
    void theFloorAddsFramewiresUnixRoundTripToGrpcDirectOnEachTransport() {
        BenchOptions options = BenchOptions.parse(new String[] {
            "--systems=framewire,grpc-direct,gateway", "--transports=unix,tcp", "--payloads=64", "--fw-handler=inline"});
        List<String> rows = ratioRows(options,
                measured("framewire", Transport.UNIX, 40, 300_000),
                measured("grpc-direct", Transport.UNIX, 80, 90_000),
                measured(Harness.GATEWAY, Transport.UNIX, 150, 60_000),
                measured("framewire", Transport.TCP, 70, 200_000),
                measured("grpc-direct", Transport.TCP, 200, 70_000),
                measured(Harness.GATEWAY, Transport.TCP, 250, 63_000));

        String adds = "what the gateway adds to its backend's round trip";
        Map<String, List<String>> expected = new LinkedHashMap<>();
        expected.put("gateway/grpc-direct latency p50, unix (lower is better)", List.of("64 B", "1.88x", "<= 1.30x", "MISSED"));
        expected.put("gateway/grpc-direct throughput, unix (higher is better)", List.of("64 B", "0.67x", ">= 0.77x", "MISSED"));
        expected.put("gateway/grpc-direct throughput, tcp (higher is better)", List.of("64 B", "0.90x", ">= 0.77x", "met"));
        // unix: (80 + 40) / 80 = 1.5, above the target; the gateway's 150 over 120 is 1.25
        expected.put("gateway floor latency p50, unix (lower is better)", List.of("64 B", "1.50x", "<= 1.30x", "TARGET BELOW THE FLOOR"));
        expected.put("gateway/floor latency p50, unix (lower is better)", List.of("64 B", "1.25x", "-", adds));
        // tcp: the backend is over unix whatever the gateway listens on: (200 + 40) / 200 = 1.2; 250 over 240
        expected.put("gateway floor latency p50, tcp (lower is better)", List.of("64 B", "1.20x", "<= 1.30x", "target above the floor"));
        expected.put("gateway/floor latency p50, tcp (lower is better)", List.of("64 B", "1.04x", "-", adds));
        expected.forEach((name, fields) -> assertEquals(fields, fields(rows, name), name));
    }

    @Test
    void noFloorWithoutFramewireOverUnixOrWithAnotherHandler() {
        BenchOptions inline = BenchOptions.parse(new String[] {
            "--systems=grpc-direct,gateway", "--transports=unix", "--payloads=64", "--fw-handler=inline"});
        List<String> rows = ratioRows(inline,
                measured("grpc-direct", Transport.UNIX, 80, 90_000),
                measured(Harness.GATEWAY, Transport.UNIX, 150, 60_000));
        assertEquals(List.of("64 B", "n/a", "<= 1.30x", "not measured"),
                fields(rows, "gateway floor latency p50, unix (lower is better)"));

        BenchOptions virtual = BenchOptions.parse(new String[] {
            "--systems=framewire,grpc-direct,gateway", "--transports=unix", "--payloads=64", "--fw-handler=virtual"});
        rows = ratioRows(virtual,
                measured("framewire", Transport.UNIX, 40, 300_000),
                measured("grpc-direct", Transport.UNIX, 80, 90_000),
                measured(Harness.GATEWAY, Transport.UNIX, 150, 60_000));
        assertEquals(List.of("64 B", "n/a", "<= 1.30x", "not measured (--fw-handler is not --gw-handler)"),
                fields(rows, "gateway floor latency p50, unix (lower is better)"));
    }
}
