package io.framewire.transport.udp;

import io.framewire.testing.PubSubConformance;
import io.framewire.testing.TransportUnderTest;

/** Core's publish/subscribe conformance suite on {@code udp://} (IPv4 loopback). */
class UdpPubSubConformanceTest extends PubSubConformance {
    @Override
    protected TransportUnderTest transport() {
        return UdpConformanceTest.IPV4;
    }
}
