package io.framewire.transport.udp.multicast;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * A hostile member of a multicast group, in its own JVM (run by {@link MulticastNamespaceTest}): it
 * joins the group with raw sockets, and for each of the first data datagrams it sees sends the group
 * a spoofed copy from its own address (another payload under the real publisher's id), a truncated
 * copy, one with a wrong version, one announcing 65535 fragments, a spoofed heartbeat, a NAK, and
 * random bytes. Prints READY once joined and SENT n when done; exits on "exit".
 *
 * <pre>HostileGroupMember GROUP_IP PORT</pre>
 */
public final class HostileGroupMember {
    private HostileGroupMember() {}

    public static void main(String[] args) throws Exception {
        InetAddress group = InetAddress.getByName(args[0]);
        int port = Integer.parseInt(args[1]);
        NetworkInterface lo = NetworkInterface.getByInetAddress(InetAddress.getByName("127.0.0.1"));
        InetSocketAddress to = new InetSocketAddress(group, port);
        Random random = new Random(5);
        int sent = 0;
        try (DatagramChannel in = DatagramChannel.open(StandardProtocolFamily.INET);
             DatagramChannel out = DatagramChannel.open(StandardProtocolFamily.INET)) {
            in.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            in.bind(new InetSocketAddress(group, port));
            in.join(group, lo);
            out.setOption(StandardSocketOptions.IP_MULTICAST_IF, lo);
            out.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            SocketAddress self = out.getLocalAddress();
            System.out.println("READY");
            ByteBuffer buf = ByteBuffer.allocate(65_536);
            int rounds = 0;
            while (rounds < 50) {
                buf.clear();
                SocketAddress from = in.receive(buf);
                if (from.equals(self) || buf.position() < MulticastLayout.MDATA_HEADER_LENGTH
                        || (buf.get(MulticastLayout.KIND_OFFSET) & 0xFF) != MulticastLayout.MDATA) {
                    continue;
                }
                rounds++;
                byte[] real = java.util.Arrays.copyOf(buf.array(), buf.position());
                long publisher = buf.getLong(MulticastLayout.PUBLISHER_OFFSET);

                byte[] spoofed = real.clone();
                for (int i = MulticastLayout.MDATA_HEADER_LENGTH; i < spoofed.length; i++) {
                    spoofed[i] ^= 0x5A;
                }
                byte[] wrongVersion = real.clone();
                wrongVersion[MulticastLayout.VERSION_OFFSET] = 9;
                byte[] manyFragments = real.clone();
                ByteBuffer.wrap(manyFragments).putShort(MulticastLayout.COUNT_OFFSET, (short) 0xFFFF);
                byte[] garbage = new byte[1 + random.nextInt(1200)];
                random.nextBytes(garbage);
                garbage[0] = (byte) MulticastLayout.FORMAT;
                byte[][] attacks = {
                        spoofed,
                        java.util.Arrays.copyOf(real, 20),
                        wrongVersion,
                        manyFragments,
                        MulticastLayout.heartbeat(publisher, Long.MAX_VALUE / 2, Long.MAX_VALUE / 2),
                        MulticastLayout.nak(publisher, new long[] {1}, new long[] {1000}, 1),
                        garbage};
                for (byte[] a : attacks) {
                    out.send(ByteBuffer.wrap(a), to);
                    sent++;
                }
            }
            System.out.println("SENT " + sent);
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        }
    }
}
