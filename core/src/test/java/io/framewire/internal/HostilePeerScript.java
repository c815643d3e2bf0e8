package io.framewire.internal;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import io.framewire.protocol.ErrorCode;
import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameEncoder;
import io.framewire.protocol.FrameLayout;
import io.framewire.protocol.GapReason;
import io.framewire.protocol.Handshake;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.MethodType;
import io.framewire.protocol.OverflowPolicy;
import io.framewire.protocol.Setting;
import io.framewire.protocol.Settings;
import io.framewire.protocol.StatusCode;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a hostile client sends in one {@link ServerSessionFuzzTest} input: an optional HELLO, then a
 * mix of raw bytes and well-formed frames whose fields the fuzzer chooses (with stream and
 * subscription ids mostly taken from those opened before, so it reaches calls, messages, credit and
 * subscriptions rather than stopping at the first PROTOCOL_ERROR), then how the connection ends.
 *
 * <p>Every choice goes through {@link Choices}, read from the fuzzer's input by {@link #read}; the
 * seeds ({@link ServerSessionFuzzSeedsTest}) are written with {@link SeedWriter}, which makes the bytes
 * the same reads turn back into the intended script.
 */
record HostilePeerScript(boolean hello, Settings settings, List<Step> steps, Ending ending) {

    static final String ECHO = "fuzz.Echo/Echo";
    static final String CHAT = "fuzz.Echo/Chat";
    static final String[] METHODS = {ECHO, CHAT, "fuzz.Echo/Missing", "nosuch.Service/Method", ""};
    static final String[] TOPICS = {"a", "a.b", "a.b.c", "r.1", "a.*", "a.>", ">", "*.b", "a..b", "", "a b"};
    static final String[] GROUPS = {"", "g", "h"};
    static final int MAX_STEPS = 48;
    static final int MAX_RAW = 64;
    static final int MAX_DATA = 256;
    static final int MAX_TEXT = 16;
    static final int MAX_PINGS = 1100;

    /** How the peer leaves. A fence is a PING whose PONG shows the server has read everything before it. */
    enum Ending { FENCE_THEN_CLOSE, FENCE_THEN_HALF_CLOSE, CLOSE_AT_ONCE }

    /** The kinds of step, in the order of the number that chooses them. */
    enum Kind {
        RAW, CALL, MESSAGE, HALF_CLOSE, CANCEL, CREDIT, PING, PING_FLOOD, PONG, GOAWAY, ERROR, SUBSCRIBE,
        UNSUBSCRIBE, PUBLISH, SERVER_ONLY, EXTENSION, HELLO_AGAIN
    }

    sealed interface Step {
        byte[] bytes();
    }

    record FrameStep(Frame frame) implements Step {
        public byte[] bytes() {
            return FrameEncoder.encode(frame);
        }
    }

    record RawStep(byte[] raw) implements Step {
        public byte[] bytes() {
            return raw.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof RawStep r && Arrays.equals(raw, r.raw);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(raw);
        }

        @Override
        public String toString() {
            return "Raw" + Arrays.toString(raw);
        }
    }

    /** {@code count} PINGs with payloads 0, 1, ...: more than 1000 in a second is ENHANCE_YOUR_CALM. */
    record PingFlood(int count) implements Step {
        public byte[] bytes() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int i = 0; i < count; i++) {
                out.writeBytes(FrameEncoder.encode(new Frame.Ping(i)));
            }
            return out.toByteArray();
        }
    }

    /** What the peer writes before its fence (if any): the HELLO and every step. */
    byte[] bytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (hello) {
            out.writeBytes(FrameEncoder.encode(Handshake.clientHello(settings)));
        }
        for (Step s : steps) {
            out.writeBytes(s.bytes());
        }
        return out.toByteArray();
    }

    // --- choices ---

    /** The fuzzer's decisions. Every number's range starts at 0, so a seed's bytes are the numbers themselves. */
    interface Choices {
        /** A number in {@code [0, max]}. */
        int upTo(int max);

        long anyLong();

        /** Up to {@code maxLength} bytes (a length, then the bytes; fewer if the input runs out). */
        byte[] bytes(int maxLength);

        boolean hasMore();
    }

    /** Choices read from Jazzer's {@link FuzzedDataProvider}: numbers from the back, bytes from the front. */
    record FuzzedChoices(FuzzedDataProvider data) implements Choices {
        public int upTo(int max) {
            return data.consumeInt(0, max);
        }

        public long anyLong() {
            return data.consumeLong();
        }

        public byte[] bytes(int maxLength) {
            return data.consumeBytes(data.consumeInt(0, maxLength));
        }

        public boolean hasMore() {
            return data.remainingBytes() > 0;
        }
    }

    /**
     * Choices read from a byte array the way Jazzer's {@code FuzzedDataProvider} reads it (for numbers
     * whose range starts at 0): a number takes as many bytes from the back as its range needs, the first
     * one most significant, modulo the range; bytes come from the front.
     */
    static final class ReplayChoices implements Choices {
        private final byte[] in;
        private int front;
        private int back;

        ReplayChoices(byte[] in) {
            this.in = in;
            this.back = in.length;
        }

        private long number(int width) {
            long v = 0;
            for (int i = 0; i < width && back > front; i++) {
                v = (v << 8) | (in[--back] & 0xFF);
            }
            return v;
        }

        public int upTo(int max) {
            return (int) (number(byteWidth(max)) % (max + 1L));
        }

        public long anyLong() {
            return number(8);
        }

        public byte[] bytes(int maxLength) {
            int n = Math.min(upTo(maxLength), back - front);
            byte[] b = Arrays.copyOfRange(in, front, front + n);
            front += n;
            return b;
        }

        public boolean hasMore() {
            return back > front;
        }
    }

    /** Writes choices as the bytes {@link FuzzedChoices} and {@link ReplayChoices} read back as the same choices. */
    static final class SeedWriter {
        private final ByteArrayOutputStream front = new ByteArrayOutputStream();
        private final ByteArrayOutputStream numbers = new ByteArrayOutputStream(); // in the order they are read

        SeedWriter upTo(int max, int value) {
            if (value < 0 || value > max) {
                throw new IllegalArgumentException(value + " is not in [0, " + max + "]");
            }
            number(byteWidth(max), value);
            return this;
        }

        SeedWriter anyLong(long value) {
            number(8, value);
            return this;
        }

        SeedWriter bytes(int maxLength, byte[] b) {
            upTo(maxLength, b.length);
            front.writeBytes(b);
            return this;
        }

        private void number(int width, long value) {
            for (int i = width - 1; i >= 0; i--) {
                numbers.write((int) (value >>> (8 * i)));
            }
        }

        byte[] toByteArray() {
            byte[] head = front.toByteArray();
            byte[] tail = numbers.toByteArray();
            byte[] out = Arrays.copyOf(head, head.length + tail.length);
            for (int i = 0; i < tail.length; i++) {
                out[out.length - 1 - i] = tail[i];
            }
            return out;
        }
    }

    /** Bytes a number of range {@code [0, max]} takes: as many as {@code max} needs. */
    static int byteWidth(int max) {
        return (Integer.SIZE - Integer.numberOfLeadingZeros(max) + 7) / 8;
    }

    // --- reading a script ---

    static HostilePeerScript read(Choices c) {
        boolean hello = c.upTo(3) != 0; // one input in four starts without a HELLO
        Settings settings = Settings.defaults();
        if (c.upTo(1) == 1) {
            settings = Settings.builder()
                    .set(Setting.INITIAL_STREAM_WINDOW, c.upTo(1 << 20))
                    .set(Setting.MAX_FRAME_SIZE, Setting.MAX_FRAME_SIZE.min() + c.upTo(1 << 16))
                    .set(Setting.MAX_MESSAGE_SIZE, c.upTo(1 << 20))
                    .set(Setting.FEATURES, c.upTo(3))
                    .build();
        }
        Ending ending = Ending.values()[c.upTo(Ending.values().length - 1)];
        Reader r = new Reader(c);
        while (c.hasMore() && r.steps.size() < MAX_STEPS) {
            r.step(Kind.values()[c.upTo(Kind.values().length - 1)]);
        }
        return new HostilePeerScript(hello, settings, List.copyOf(r.steps), ending);
    }

    /** Reads steps, remembering the calls and subscriptions opened so later frames can refer to them. */
    private static final class Reader {
        final Choices c;
        final List<Step> steps = new ArrayList<>();
        final List<Integer> calls = new ArrayList<>();
        final List<Integer> subscriptions = new ArrayList<>();
        int lastCall = -1;
        int nextSubscription = 1;

        Reader(Choices c) {
            this.c = c;
        }

        void step(Kind kind) {
            switch (kind) {
                case RAW -> steps.add(new RawStep(c.bytes(MAX_RAW)));
                case CALL -> call();
                case MESSAGE -> message();
                case HALF_CLOSE -> frame(new Frame.HalfClose(callRef()));
                case CANCEL -> frame(new Frame.Cancel(callRef(), status(), text()));
                case CREDIT -> credit();
                case PING -> frame(new Frame.Ping(c.anyLong()));
                case PING_FLOOD -> steps.add(new PingFlood(c.upTo(MAX_PINGS)));
                case PONG -> frame(new Frame.Pong(c.anyLong()));
                case GOAWAY -> frame(new Frame.GoAway(c.upTo(Integer.MAX_VALUE), errorCode(), text()));
                case ERROR -> frame(new Frame.Error(errorCode(), text()));
                case SUBSCRIBE -> subscribe();
                case UNSUBSCRIBE -> frame(new Frame.Unsubscribe(subscriptionRef()));
                case PUBLISH -> publish();
                case SERVER_ONLY -> serverOnly();
                case EXTENSION -> extension();
                case HELLO_AGAIN -> frame(Handshake.clientHello(Settings.defaults()));
            }
        }

        private void frame(Frame f) {
            steps.add(new FrameStep(f));
        }

        private void call() {
            int id;
            if (c.upTo(3) < 3) { // mostly the next valid id: odd and increasing, while ids last
                id = lastCall < 0 ? 1 : lastCall <= Integer.MAX_VALUE - 2 ? lastCall + 2 : lastCall;
            } else {
                id = anyId();
            }
            lastCall = Math.max(lastCall, id);
            calls.add(id);
            MethodType shape = MethodType.values()[c.upTo(MethodType.values().length - 1)];
            int m = c.upTo(METHODS.length);
            String method = m < METHODS.length ? METHODS[m] : text();
            long timeout = switch (c.upTo(2)) {
                case 0 -> -1;
                case 1 -> 0; // already past on arrival
                default -> (1 + c.upTo(9_999)) * 1_000_000L;
            };
            Metadata metadata = switch (c.upTo(2)) {
                case 0 -> Metadata.EMPTY;
                case 1 -> Metadata.builder().put("k", text()).putBinary("trace-bin", c.bytes(MAX_TEXT)).build();
                default -> Metadata.builder().put("big", "x".repeat(c.upTo(16_384))).build(); // over MAX_METADATA_SIZE
            };
            frame(new Frame.Call(id, shape, timeout, method, metadata));
        }

        private void message() {
            int stream = callRef();
            int form = c.upTo(2);
            byte[] data = c.bytes(MAX_DATA);
            frame(switch (form) {
                case 0 -> Frame.Message.whole(stream, data);
                // A first fragment announcing more: up to 2^31-1 bytes, above every maximum message size.
                case 1 -> new Frame.Message(stream, data.length + c.upTo(Integer.MAX_VALUE - MAX_DATA), data, 0, data.length);
                default -> new Frame.Message(stream, -1, data, 0, data.length);
            });
        }

        private void credit() {
            int target = c.upTo(2);
            int increment = 1 + c.upTo(Integer.MAX_VALUE - 1);
            frame(switch (target) {
                case 0 -> new Frame.Credit(0, false, increment);
                case 1 -> new Frame.Credit(callRef(), false, increment);
                default -> new Frame.Credit(subscriptionRef(), true, increment);
            });
        }

        private void subscribe() {
            int id;
            if (c.upTo(1) == 0) {
                id = nextSubscription++;
                subscriptions.add(id);
            } else {
                id = subscriptionRef(); // maybe live: PROTOCOL_ERROR
            }
            String pattern = topic();
            int g = c.upTo(GROUPS.length);
            String group = g < GROUPS.length ? GROUPS[g] : text();
            OverflowPolicy policy = OverflowPolicy.values()[c.upTo(OverflowPolicy.values().length - 1)];
            int maxMessages = c.upTo(16);
            int maxBytes = c.upTo(4096);
            // Up to a minute: the server caps it (ServerSessionFuzzTest's server at 200 ms), and a publish
            // waiting on it never holds up its connection's reader, nor outlives its connection.
            int blockTimeoutMillis = c.upTo(60_000);
            int credit = c.upTo(16);
            frame(new Frame.Subscribe(id, pattern, group, policy, maxMessages, maxBytes, blockTimeoutMillis, credit));
        }

        private void publish() {
            int ackId = c.upTo(1) == 0 ? 0 : 1 + c.upTo(1000);
            String topic = topic();
            String replyTo = c.upTo(1) == 0 ? "" : topic();
            frame(new Frame.Publish(ackId, topic, replyTo, Metadata.EMPTY, c.bytes(MAX_DATA)));
        }

        /** A frame only a server may send: PROTOCOL_ERROR. */
        private void serverOnly() {
            frame(switch (c.upTo(5)) {
                case 0 -> new Frame.Headers(callRef(), Metadata.EMPTY);
                case 1 -> new Frame.Status(callRef(), status(), text(), Metadata.EMPTY);
                case 2 -> new Frame.Deliver(subscriptionRef(), false, 1, "a", "", Metadata.EMPTY, new byte[0]);
                case 3 -> new Frame.Gap(subscriptionRef(), 1, 1, GapReason.DROPPED_OLDEST);
                case 4 -> new Frame.Ack(1 + c.upTo(1000), status(), text());
                default -> new Frame.SubscriptionEnd(subscriptionRef(), status(), text());
            });
        }

        /** A frame of an extension type (0xF0..0xFF), which a receiver skips. */
        private void extension() {
            int type = FrameLayout.FIRST_EXTENSION_TYPE + c.upTo(15);
            byte[] payload = c.bytes(MAX_RAW);
            steps.add(new RawStep(ByteBuffer.allocate(FrameLayout.HEADER_LENGTH + payload.length)
                    .putInt(FrameLayout.MIN_LENGTH + payload.length).put((byte) type).put((byte) 0).putInt(0)
                    .put(payload).array()));
        }

        /** A call opened before, or any stream id. */
        private int callRef() {
            int pick = c.upTo(calls.size());
            return pick < calls.size() ? calls.get(pick) : anyId();
        }

        /** A subscription opened before, or any subscription id. */
        private int subscriptionRef() {
            int pick = c.upTo(subscriptions.size());
            return pick < subscriptions.size() ? subscriptions.get(pick) : anyId();
        }

        private int anyId() {
            return 1 + c.upTo(Integer.MAX_VALUE - 1);
        }

        private String topic() {
            int t = c.upTo(TOPICS.length);
            return t < TOPICS.length ? TOPICS[t] : text();
        }

        private StatusCode status() {
            return StatusCode.values()[c.upTo(StatusCode.values().length - 1)];
        }

        private ErrorCode errorCode() {
            return ErrorCode.values()[c.upTo(ErrorCode.values().length - 1)];
        }

        /** Printable ASCII, so it is a legal metadata value as well as a string. */
        private String text() {
            byte[] b = c.bytes(MAX_TEXT);
            char[] s = new char[b.length];
            for (int i = 0; i < b.length; i++) {
                s[i] = (char) (0x20 + (b[i] & 0xFF) % 95);
            }
            return new String(s);
        }
    }
}
