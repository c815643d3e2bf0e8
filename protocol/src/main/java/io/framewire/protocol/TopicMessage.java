package io.framewire.protocol;

import java.util.Arrays;
import java.util.Objects;

/**
 * What a DELIVER carries besides its subscription and sequence number: topic, reply-to, metadata and
 * message bytes ({@code PROTOCOL.md} section 6). A broker that fans one publish out to many
 * subscriptions shares one {@code TopicMessage} among all their DELIVER frames, and can have it
 * {@linkplain #encodedOnce encoded once} for all of them: each frame then costs a header, a sequence
 * number and one copy of these bytes, not another pass over the strings.
 *
 * <p>Immutable, apart from the array rule of {@link Frame}: {@code data} is shared, not copied, and
 * must not change afterwards. So any thread may read it: a broker's reader builds one per publish and
 * the writers of every subscriber connection encode their frames from it at once.
 *
 * <pre>{@code
 * TopicMessage m = TopicMessage.encodedOnce("orders.eu", "", Metadata.EMPTY, payload);
 * Frame first = new Frame.Deliver(subscriptionA, false, seqA, m);
 * Frame second = new Frame.Deliver(subscriptionB, false, seqB, m); // same bytes, copied, not re-encoded
 * }</pre>
 */
public final class TopicMessage {
    private final String topic;
    private final String replyTo;
    private final Metadata metadata;
    private final byte[] data;
    /** The encoded fields, in DELIVER payload order after the sequence number; null if not encoded ahead. */
    private final byte[] encoded;

    private TopicMessage(String topic, String replyTo, Metadata metadata, byte[] data, boolean encode) {
        this.topic = Objects.requireNonNull(topic, "topic");
        this.replyTo = Objects.requireNonNull(replyTo, "replyTo");
        if (tooLong(topic) || tooLong(replyTo)) {
            throw new IllegalArgumentException("a topic or reply-to is longer than the " + FrameLayout.MAX_STR16_BYTES
                    + " bytes a frame can carry");
        }
        this.metadata = Objects.requireNonNull(metadata, "metadata");
        this.data = Objects.requireNonNull(data, "data");
        this.encoded = encode ? FrameEncoder.encodeTopicMessage(topic, replyTo, metadata, data) : null;
    }

    /** A message that each frame encodes when it is written. */
    public static TopicMessage of(String topic, String replyTo, Metadata metadata, byte[] data) {
        return new TopicMessage(topic, replyTo, metadata, data, false);
    }

    /**
     * A message encoded now, once, for every frame that carries it: worth it when it goes to more than
     * one subscription. Costs one more copy of the message's bytes while it lives.
     *
     * @throws IllegalArgumentException if a string does not fit its str16
     */
    public static TopicMessage encodedOnce(String topic, String replyTo, Metadata metadata, byte[] data) {
        return new TopicMessage(topic, replyTo, metadata, data, true);
    }

    public String topic() {
        return topic;
    }

    public String replyTo() {
        return replyTo;
    }

    public Metadata metadata() {
        return metadata;
    }

    public byte[] data() {
        return data;
    }

    /** The bytes {@link #encodedOnce} wrote, or null; for {@link FrameEncoder}, which does not change them. */
    byte[] encoded() {
        return encoded;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TopicMessage m && m.topic.equals(topic) && m.replyTo.equals(replyTo)
                && m.metadata.equals(metadata) && Arrays.equals(m.data, data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(topic, replyTo, metadata, Arrays.hashCode(data));
    }

    @Override
    public String toString() {
        return "topic=" + topic + ", replyTo=" + replyTo + ", data=" + data.length + " bytes";
    }

    /** Whether {@code s} needs more UTF-8 bytes than a str16 holds; measured only when it might (3 bytes a char at most). */
    private static boolean tooLong(String s) {
        return s.length() > FrameLayout.MAX_STR16_BYTES / 3 && Utf8.length(s) > FrameLayout.MAX_STR16_BYTES;
    }
}
