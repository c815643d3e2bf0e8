package io.framewire;

import io.framewire.protocol.OverflowPolicy;
import java.time.Duration;
import java.util.Objects;

/**
 * How a subscription's queue at the broker behaves: its bounds (messages and bytes), what happens
 * when it is full ({@link OverflowPolicy}), and an optional queue group. Immutable; each {@code with*}
 * returns a copy.
 *
 * <pre>{@code
 * SubscribeOptions opts = SubscribeOptions.DEFAULT
 *         .withQueueGroup("workers")
 *         .withOverflow(OverflowPolicy.BLOCK)
 *         .withBlockTimeout(Duration.ofSeconds(2))
 *         .withMaxMessages(10_000);
 * }</pre>
 *
 * <table>
 *   <caption>Overflow policies</caption>
 *   <tr><th>policy</th><th>when the subscription's queue is full</th></tr>
 *   <tr><td>BLOCK</td><td>the publisher blocks, up to the block timeout; past it, the publish fails with an error (and the subscriber sees a gap)</td></tr>
 *   <tr><td>DROP_OLDEST</td><td>the oldest queued message is discarded</td></tr>
 *   <tr><td>DROP_NEWEST</td><td>the new message is discarded</td></tr>
 *   <tr><td>DISCONNECT</td><td>the slow subscriber is disconnected</td></tr>
 * </table>
 *
 * <p>Whatever the policy, the subscriber learns exactly which sequence numbers it lost, as a
 * {@link Gap}. The server may lower the bounds to its own limits.
 *
 * @param queueGroup subscribers of one queue group share its messages (one member gets each); empty for none
 * @param overflow what happens when the queue is full; DROP_OLDEST by default
 * @param maxMessages the queue's bound in messages; 10,000 by default
 * @param maxBytes the queue's bound in payload bytes; 16 MiB by default
 * @param blockTimeout how long a BLOCK publisher may wait; 1 second by default
 * @param prefetch how many messages may be in flight to this client before it has taken them; 1,024 by default
 */
public record SubscribeOptions(String queueGroup, OverflowPolicy overflow, int maxMessages, int maxBytes,
                               Duration blockTimeout, int prefetch) {

    public static final SubscribeOptions DEFAULT =
            new SubscribeOptions("", OverflowPolicy.DROP_OLDEST, 10_000, 16 << 20, Duration.ofSeconds(1), 1024);

    public SubscribeOptions {
        Objects.requireNonNull(queueGroup, "queueGroup");
        Objects.requireNonNull(overflow, "overflow");
        Objects.requireNonNull(blockTimeout, "blockTimeout");
        if (maxMessages < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("maxMessages and maxBytes must be at least 1");
        }
        if (prefetch < 1) {
            throw new IllegalArgumentException("prefetch must be at least 1");
        }
        if (blockTimeout.isNegative() || blockTimeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("blockTimeout must be between 0 and 2^31-1 ms");
        }
        if (!queueGroup.isEmpty()) {
            io.framewire.internal.Topics.checkTopic(queueGroup);
        }
    }

    public SubscribeOptions withQueueGroup(String group) {
        return new SubscribeOptions(group, overflow, maxMessages, maxBytes, blockTimeout, prefetch);
    }

    public SubscribeOptions withOverflow(OverflowPolicy policy) {
        return new SubscribeOptions(queueGroup, policy, maxMessages, maxBytes, blockTimeout, prefetch);
    }

    public SubscribeOptions withMaxMessages(int n) {
        return new SubscribeOptions(queueGroup, overflow, n, maxBytes, blockTimeout, prefetch);
    }

    public SubscribeOptions withMaxBytes(int n) {
        return new SubscribeOptions(queueGroup, overflow, maxMessages, n, blockTimeout, prefetch);
    }

    public SubscribeOptions withBlockTimeout(Duration timeout) {
        return new SubscribeOptions(queueGroup, overflow, maxMessages, maxBytes, timeout, prefetch);
    }

    public SubscribeOptions withPrefetch(int n) {
        return new SubscribeOptions(queueGroup, overflow, maxMessages, maxBytes, blockTimeout, n);
    }
}
