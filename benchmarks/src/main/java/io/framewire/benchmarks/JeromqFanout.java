package io.framewire.benchmarks;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;
import java.util.jar.JarFile;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * JeroMQ's side of the fan-out: a PUB socket bound in the publisher's JVM, and a SUB socket in each
 * subscriber's JVM connecting to it. No broker.
 *
 * <p>Every socket keeps JeroMQ's defaults (high-water marks of 1,000 messages each way, one I/O thread
 * per context); the only option set is the SUB's subscription to {@link #TOPIC}. A message is one
 * frame: the topic, then the payload ({@link SequencedMessage}), as a Framewire PUBLISH carries topic
 * and payload in one frame; the SUB filters on the topic as a prefix. When a subscriber's pipe is at
 * its high-water mark, PUB drops the message for that subscriber without a word, which the
 * subscribers see as holes in the sequence numbers.
 */
final class JeromqFanout {
    static final String TOPIC = "bench.fanout";

    private static final byte[] TOPIC_BYTES = TOPIC.getBytes(StandardCharsets.US_ASCII);

    private JeromqFanout() {}

    /** JeroMQ's version, from its jar's manifest (it has no Implementation-Version), or "unknown". */
    static String version() {
        try (JarFile jar = new JarFile(Path.of(ZMQ.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toFile())) {
            return Objects.requireNonNullElse(jar.getManifest().getMainAttributes().getValue("Bundle-Version"), "unknown");
        } catch (IOException | URISyntaxException | RuntimeException e) {
            return "unknown";
        }
    }

    /** JeroMQ's default high-water marks, for the report's header. */
    static String describeDefaults() {
        zmq.Options defaults = new zmq.Options();
        return "SNDHWM " + defaults.sendHwm + ", RCVHWM " + defaults.recvHwm + " messages (defaults, not set)";
    }

    /** A PUB socket bound to an ephemeral port on 127.0.0.1. */
    static FanoutSender sender(int size) {
        ZContext context = new ZContext();
        ZMQ.Socket pub = context.createSocket(SocketType.PUB);
        pub.bind("tcp://127.0.0.1:*");
        String bound = pub.getLastEndpoint(); // tcp://127.0.0.1:PORT
        Endpoint endpoint = new Endpoint.Tcp(Integer.parseInt(bound.substring(bound.lastIndexOf(':') + 1)));
        return new FanoutSender() {
            @Override
            public Endpoint endpoint() {
                return endpoint;
            }

            /** A new frame each time: JeroMQ keeps the array itself until its I/O thread has written it. */
            @Override
            public void send(long sequence) {
                byte[] frame = new byte[TOPIC_BYTES.length + size];
                System.arraycopy(TOPIC_BYTES, 0, frame, 0, TOPIC_BYTES.length);
                SequencedMessage.write(frame, TOPIC_BYTES.length, sequence, size);
                if (!pub.send(frame, 0)) {
                    throw new IllegalStateException("PUB send failed: errno " + pub.errno());
                }
            }

            @Override
            public void sendLast(long sequence) {
                send(sequence);
            }
        };
    }

    /** A SUB socket connected to {@code publisher}, received on a platform thread of its own into {@code tally}. */
    static void subscribe(Endpoint publisher, int size, FanoutTally tally) {
        if (!(publisher instanceof Endpoint.Tcp tcp)) {
            throw new IllegalArgumentException("JeroMQ's publisher listens on TCP, not " + publisher);
        }
        ZContext context = new ZContext();
        ZMQ.Socket sub = context.createSocket(SocketType.SUB);
        sub.connect("tcp://127.0.0.1:" + tcp.port());
        sub.subscribe(TOPIC_BYTES);
        Thread.ofPlatform().name("subscriber").start(() -> receive(sub, size, tally));
    }

    private static void receive(ZMQ.Socket sub, int size, FanoutTally tally) {
        // One byte to spare, so that a longer frame shows as too long instead of being cut to fit.
        byte[] buffer = new byte[TOPIC_BYTES.length + size + 1];
        try {
            while (true) {
                int length = sub.recv(buffer, 0, buffer.length, 0);
                if (length < 0) {
                    throw new IllegalStateException("SUB recv failed: errno " + sub.errno());
                }
                tally.message(SequencedMessage.sequence(buffer, TOPIC_BYTES.length,
                        Math.min(length, buffer.length) - TOPIC_BYTES.length, size));
            }
        } catch (RuntimeException e) {
            HarnessLink.fail("the SUB socket failed", e);
        }
    }
}
