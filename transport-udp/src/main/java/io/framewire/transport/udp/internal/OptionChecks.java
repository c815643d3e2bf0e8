package io.framewire.transport.udp.internal;

import java.time.Duration;
import java.util.Objects;

/** The range checks the udp option records share, each naming the option it refuses. Not API. */
public final class OptionChecks {
    /** The largest UDP payload over IPv4: 65,535 - 20 (IP header) - 8 (UDP header). */
    public static final int MAX_UDP_PAYLOAD = 65_507;
    /** The smallest maximum datagram size: the IPv4 minimum reassembly buffer. */
    public static final int MIN_DATAGRAM_SIZE = 576;

    private OptionChecks() {}

    public static void datagramSize(int maxDatagramSize) {
        if (maxDatagramSize < MIN_DATAGRAM_SIZE || maxDatagramSize > MAX_UDP_PAYLOAD) {
            throw new IllegalArgumentException("maxDatagramSize must be " + MIN_DATAGRAM_SIZE + " .. "
                    + MAX_UDP_PAYLOAD + " bytes, got " + maxDatagramSize);
        }
    }

    public static void positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
    }

    public static void atLeast(long value, long min, String name) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be at least " + min + ", got " + value);
        }
    }
}
