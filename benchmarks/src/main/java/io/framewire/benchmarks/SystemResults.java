package io.framewire.benchmarks;

import java.util.LinkedHashMap;
import java.util.Map;

/** What one system measured over one transport, per payload size, and the failure that stopped it, if any. */
final class SystemResults {
    private final String system;
    private final Transport transport;
    private final Map<Integer, LatencyProbe.Result> latency = new LinkedHashMap<>();
    private final Map<Integer, ThroughputProbe.Result> throughput = new LinkedHashMap<>();
    private Throwable failure;

    SystemResults(String system, Transport transport) {
        this.system = system;
        this.transport = transport;
    }

    String system() {
        return system;
    }

    Transport transport() {
        return transport;
    }

    void latency(int payload, LatencyProbe.Result result) {
        latency.put(payload, result);
    }

    void throughput(int payload, ThroughputProbe.Result result) {
        throughput.put(payload, result);
    }

    void failed(Throwable cause) {
        failure = cause;
    }

    /** The latency measured for {@code payload}, or null if it was not. */
    LatencyProbe.Result latency(int payload) {
        return latency.get(payload);
    }

    /** The throughput measured for {@code payload}, or null if it was not. */
    ThroughputProbe.Result throughput(int payload) {
        return throughput.get(payload);
    }

    /** The failure that ended this system's run, or null. */
    Throwable failure() {
        return failure;
    }
}
