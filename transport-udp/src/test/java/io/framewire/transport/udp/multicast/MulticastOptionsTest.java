package io.framewire.transport.udp.multicast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.Address;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Options out of range and addresses that are not a usable group fail with a message naming the problem. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MulticastOptionsTest {

    static String rejects(MulticastOptions.Builder b) {
        return assertThrows(IllegalArgumentException.class, b::build).getMessage();
    }

    @Test
    void defaultsAreSafe() {
        MulticastOptions o = MulticastOptions.defaults();
        assertEquals(1, o.ttl());
        assertTrue(o.networkInterface().isEmpty(), "the loopback unless an interface is named");
        assertEquals(1200, o.maxDatagramSize());
        assertTrue(o.repair());
        assertEquals(o, o.toBuilder().build());
    }

    @Test
    void valuesOutOfRangeAreRefusedByName() {
        MulticastOptions.Builder d = MulticastOptions.defaults().toBuilder();
        assertTrue(rejects(d.ttl(256)).startsWith("ttl"));
        d = MulticastOptions.defaults().toBuilder();
        assertTrue(rejects(d.maxDatagramSize(575)).startsWith("maxDatagramSize"));
        assertTrue(rejects(MulticastOptions.defaults().toBuilder().maxDatagramSize(65_508)).startsWith("maxDatagramSize"));
        assertTrue(rejects(MulticastOptions.defaults().toBuilder().repairWindow(Duration.ZERO)).startsWith("repairWindow"));
        assertTrue(rejects(MulticastOptions.defaults().toBuilder().retransmitBytes(10)).startsWith("retransmitBytes"));
        assertTrue(rejects(MulticastOptions.defaults().toBuilder().reassemblyBytesTotal(1)).startsWith("reassemblyBytesTotal"));
        assertTrue(rejects(MulticastOptions.defaults().toBuilder().publisherTimeout(Duration.ofMillis(100)))
                .startsWith("publisherTimeout"));
        assertTrue(rejects(MulticastOptions.defaults().toBuilder().maxDatagramSize(576).maxMessageBytes(64 << 20)
                .reassemblyBytesPerPublisher(64 << 20).reassemblyBytesTotal(64 << 20).retransmitBytes(64 << 20)
                .maxQueuedBytes(64 << 20)).contains("65535"));
    }

    @Test
    void anAddressThatIsNotAUsableGroupIsRefused() {
        MulticastOptions o = MulticastOptions.defaults();
        assertTrue(assertThrows(IOException.class, () -> MulticastConnection.open(Address.parse("udp://127.0.0.1:5000"), o))
                .getMessage().contains("not a multicast group"));
        assertTrue(assertThrows(IOException.class, () -> MulticastConnection.open(Address.parse("udp://[ff02::1]:5000"), o))
                .getMessage().contains("IPv6"));
        assertTrue(assertThrows(IOException.class, () -> MulticastConnection.open(Address.parse("udp://239.1.2.3:0"), o))
                .getMessage().contains("needs a port"));
        MulticastOptions nowhere = o.toBuilder().networkInterface("no-such-if0").build();
        assertTrue(assertThrows(IOException.class, () -> MulticastConnection.open(Address.parse("udp://239.1.2.3:5000"),
                nowhere)).getMessage().contains("no network interface 'no-such-if0'"));
        assertThrows(IllegalArgumentException.class, () -> MulticastConnection.open(Address.parse("unix:///tmp/x.sock"), o));
    }
}
