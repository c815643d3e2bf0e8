package io.framewire;

import io.framewire.protocol.Metadata;
import java.util.Objects;
import java.util.Optional;

/**
 * A published message as a subscriber receives it: the topic it was published to, its metadata and
 * bytes, an optional reply-to topic (for request-reply), and its sequence number in this subscription.
 *
 * <p>Sequence numbers start at 1 and grow by one per message the broker assigned to the subscription;
 * a message the subscription lost leaves a hole that a {@link Gap} accounts for.
 *
 * <p>Immutable; {@link #data()} returns the array itself (do not change it).
 */
public final class Message implements Delivery {
    private final String topic;
    private final String replyTo;
    private final Metadata metadata;
    private final byte[] data;
    private final long sequence;

    private Message(String topic, String replyTo, Metadata metadata, byte[] data, long sequence) {
        this.topic = Objects.requireNonNull(topic, "topic");
        this.replyTo = replyTo;
        this.metadata = Objects.requireNonNull(metadata, "metadata");
        this.data = Objects.requireNonNull(data, "data");
        this.sequence = sequence;
    }

    /** A message as delivered; {@code replyTo} empty for none. */
    public static Message of(String topic, String replyTo, Metadata metadata, byte[] data, long sequence) {
        return new Message(topic, replyTo == null || replyTo.isEmpty() ? null : replyTo, metadata, data, sequence);
    }

    public String topic() {
        return topic;
    }

    /** Where a request wants its reply published; see {@link Client#reply}. */
    public Optional<String> replyTo() {
        return Optional.ofNullable(replyTo);
    }

    public Metadata metadata() {
        return metadata;
    }

    public byte[] data() {
        return data;
    }

    /** The data as UTF-8 text. */
    public String text() {
        return new String(data, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** This message's number in its subscription. */
    public long sequence() {
        return sequence;
    }

    @Override
    public String toString() {
        return "Message[" + topic + " #" + sequence + ", " + data.length + " bytes" + (replyTo == null ? "" : ", reply to " + replyTo) + "]";
    }
}
