package io.framewire.transport.udp.multicast;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Records what a {@link MulticastReceiver} hands on: messages as text, losses as "lost:n", NAKs sent. */
final class RecordingOutput implements MulticastReceiver.Output {
    final List<String> events = new ArrayList<>();
    final List<byte[]> messages = new ArrayList<>();
    final List<byte[]> naks = new ArrayList<>();
    final List<InetSocketAddress> nakTargets = new ArrayList<>();

    @Override
    public void message(long publisher, byte[] message) {
        messages.add(message);
        events.add(message.length <= 32 ? new String(message, StandardCharsets.US_ASCII) : "bytes:" + message.length);
    }

    @Override
    public void lost(long publisher, long count) {
        events.add("lost:" + count);
    }

    @Override
    public void send(InetSocketAddress to, byte[] datagram) {
        naks.add(datagram);
        nakTargets.add(to);
    }

    @Override
    public void solicited() {
        events.add("solicit");
    }
}
