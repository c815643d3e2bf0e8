package io.framewire.internal;

import io.framewire.Deadline;
import io.framewire.Message;
import io.framewire.Status;
import io.framewire.StatusException;
import io.framewire.SubscribeOptions;
import io.framewire.Subscription;
import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameEncoder;
import io.framewire.protocol.FrameLayout;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.OverflowPolicy;
import io.framewire.protocol.StatusCode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A client's side of publish/subscribe: publishing (through a queue bounded in bytes, so a publisher
 * that outruns the connection blocks rather than buffering without limit), acknowledgements, the
 * subscriptions (which survive reconnects), and request-reply through a private inbox topic.
 */
final class ClientPubSub {
    private final ClientCore core;
    private final Map<Integer, ClientSubscription> subscriptions = new ConcurrentHashMap<>();
    private final AtomicInteger subscriptionIds = new AtomicInteger();
    private final Map<Integer, CompletableFuture<Status>> acks = new ConcurrentHashMap<>();
    private final AtomicInteger ackIds = new AtomicInteger();

    /** Replies to this client's requests are published under this prefix. */
    private final String inboxPrefix = "_INBOX." + UUID.randomUUID().toString().replace("-", "") + ".";
    private final Map<String, CompletableFuture<Message>> requests = new ConcurrentHashMap<>();
    private final AtomicLong requestIds = new AtomicLong();
    private final ReentrantLock inboxLock = new ReentrantLock();
    /**
     * The topic last published to, already checked: a publisher sends to the same few topics over and
     * over, and checking one costs a pass over its characters per message. Strings are immutable and
     * safe to share, so a racing reader sees an older checked topic or this one, either valid.
     */
    private String checkedTopic;
    private volatile ClientSubscription inbox;

    ClientPubSub(ClientCore core) {
        this.core = core;
    }

    // --- publishing ---

    /** Publishes; with {@code ack} returns a future of the broker's answer, otherwise null. */
    CompletableFuture<Status> publish(String topic, String replyTo, Metadata metadata, byte[] data, Deadline deadline,
                                      boolean ack) {
        if (topic != checkedTopic) {
            checkedTopic = Topics.checkTopic(topic);
        }
        if (!replyTo.isEmpty()) {
            Topics.checkTopic(replyTo);
        }
        ClientSession s = core.session(deadline);
        int ackId = ack ? nextAckId() : 0;
        int metadataSize = metadata.encodedSize();
        if (metadataSize > s.peerSettings().maxMetadataSize()) {
            throw Status.of(StatusCode.RESOURCE_EXHAUSTED, "publish metadata of " + metadataSize
                    + " bytes exceeds the server's limit of " + s.peerSettings().maxMetadataSize() + " bytes").asException();
        }
        Frame.Publish frame = new Frame.Publish(ackId, topic, replyTo, metadata, data);
        // Its DELIVER is 8 bytes longer (the sequence number), and must fit a subscriber's frame too.
        int encoded = FrameEncoder.encodedLength(frame);
        int length = encoded - 4 + FrameLayout.DELIVER_OVERHEAD;
        int max = s.peerSettings().maxFrameSize();
        if (length > max) {
            throw Status.of(StatusCode.RESOURCE_EXHAUSTED, "a publish of " + data.length + " bytes to '" + topic
                    + "' does not fit the maximum frame size of " + max + " bytes once delivered").asException();
        }
        CompletableFuture<Status> answer = null;
        if (ack) {
            answer = new CompletableFuture<>();
            acks.put(ackId, answer);
        }
        long until = deadline == null ? Long.MAX_VALUE : System.nanoTime() + Math.max(0, deadline.remainingNanos());
        boolean queued;
        boolean inline;
        boolean startWriter;
        s.out.lock().lock();
        try {
            // Wait while the connection's queue is full: the publisher slows to what the connection takes.
            s.out.awaitRoomLocked(s.publishes, Long.MAX_VALUE, until);
            queued = s.out.enqueueLocked(s.publishes, frame, null, encoded);
            inline = s.out.writeInlineLocked(s.publishes, s.mayWrite());
            startWriter = s.out.claimWriterLocked();
        } catch (InterruptedException e) {
            if (ack) {
                acks.remove(ackId);
            }
            Thread.currentThread().interrupt();
            throw Status.of(StatusCode.CANCELLED, "interrupted while publishing").asException(e);
        } finally {
            s.out.lock().unlock();
        }
        if (!queued) {
            if (ack) {
                acks.remove(ackId);
            }
            throw Status.of(StatusCode.UNAVAILABLE, "the connection closed before the publish to '" + topic
                    + "' could be sent").asException();
        }
        if (startWriter) {
            s.out.startWriter(inline);
        }
        return answer;
    }

    private int nextAckId() {
        int id = ackIds.incrementAndGet() & Integer.MAX_VALUE;
        return id == 0 ? nextAckId() : id;
    }

    // --- subscriptions ---

    ClientSubscription subscribe(String pattern, SubscribeOptions options, Subscription.Listener listener) {
        Topics.checkPattern(pattern);
        SerialExecutor serial = listener == null ? null : new SerialExecutor(core.callbackExecutor());
        int id = subscriptionIds.incrementAndGet() & Integer.MAX_VALUE;
        ClientSubscription sub = new ClientSubscription(this, id, pattern, options, listener, serial);
        ClientSession s = core.session(null);
        subscriptions.put(id, sub);
        sub.bind(s);
        // A PING behind the SUBSCRIBE: its PONG means the server has processed the subscription, so
        // whatever is published from now on reaches it, and a refusal has already arrived.
        try {
            s.ping().get(core.connectTimeoutNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            sub.unsubscribe();
            throw Status.of(StatusCode.CANCELLED, "interrupted while subscribing").asException(e);
        } catch (ExecutionException | TimeoutException e) {
            // The connection went away; the subscription stands and binds again on reconnect.
        }
        Status refused = sub.endStatus();
        if (refused != null) {
            throw refused.asException();
        }
        return sub;
    }

    void forget(ClientSubscription sub) {
        subscriptions.remove(sub.id, sub);
    }

    boolean hasSubscriptions() {
        return !subscriptions.isEmpty();
    }

    // --- request-reply ---

    /**
     * Publishes a request and waits for the first reply. No subscriber for the topic fails at once
     * with NOT_FOUND; no reply before the deadline is DEADLINE_EXCEEDED.
     */
    CompletableFuture<Message> request(String topic, Metadata metadata, byte[] data, Duration timeout) {
        ensureInbox();
        String replyTo = inboxPrefix + requestIds.incrementAndGet();
        CompletableFuture<Message> reply = new CompletableFuture<>();
        requests.put(replyTo, reply);
        Deadline deadline = Deadline.after(timeout);
        java.util.concurrent.ScheduledFuture<?> timer = Timers.schedule(() -> {
            if (requests.remove(replyTo, reply)) {
                reply.completeExceptionally(Status.of(StatusCode.DEADLINE_EXCEEDED, "no reply to the request on '"
                        + topic + "' within " + timeout.toMillis() + " ms").asException());
            }
        }, Math.max(0, deadline.remainingNanos()), TimeUnit.NANOSECONDS);
        reply.whenComplete((m, e) -> timer.cancel(false));
        try {
            publish(topic, replyTo, metadata, data, deadline, false);
        } catch (RuntimeException e) {
            requests.remove(replyTo);
            reply.completeExceptionally(e);
        }
        return reply;
    }

    /** Waits for a request's reply on the calling thread. */
    static Message await(CompletableFuture<Message> reply) {
        try {
            return reply.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.of(StatusCode.CANCELLED, "interrupted while waiting for a reply").asException(e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StatusException se) {
                StatusException copy = se.status().asException(se.trailers());
                copy.addSuppressed(se);
                throw copy;
            }
            throw Status.of(StatusCode.INTERNAL, String.valueOf(e.getCause())).asException(e.getCause());
        }
    }

    /** The one subscription that receives this client's replies, made on the first request. */
    private void ensureInbox() {
        if (inbox != null) {
            return;
        }
        inboxLock.lock();
        try {
            if (inbox == null) {
                SubscribeOptions opts = SubscribeOptions.DEFAULT.withOverflow(OverflowPolicy.DROP_NEWEST);
                inbox = subscribe(inboxPrefix + ">", opts, Subscription.Listener.of(m -> {
                    CompletableFuture<Message> f = requests.remove(m.topic());
                    if (f != null) {
                        f.complete(m); // the first reply wins; later ones find nothing to complete
                    }
                }, gap -> { }));
            }
        } finally {
            inboxLock.unlock();
        }
    }

    // --- frames from the connection's reader ---

    void onDeliver(ClientSession s, Frame.Deliver d) {
        ClientSubscription sub = subscriptions.get(d.subscriptionId());
        if (sub == null) {
            return; // unsubscribed; a delivery already in flight
        }
        if (d.noResponders()) {
            // The broker's answer to a request that matched no subscriber: fail it now, not at its deadline.
            sub.consumeWithoutDelivery(s);
            CompletableFuture<Message> f = requests.remove(d.topic());
            if (f != null) {
                core.callbackExecutor().execute(() -> f.completeExceptionally(Status.of(StatusCode.NOT_FOUND,
                        "no responders: nothing subscribes to the request's topic").asException()));
            }
            return;
        }
        sub.onDeliver(s, d);
    }

    void onGap(ClientSession s, Frame.Gap g) {
        ClientSubscription sub = subscriptions.get(g.subscriptionId());
        if (sub != null) {
            sub.onGap(s, g);
        }
    }

    void onAck(Frame.Ack a) {
        CompletableFuture<Status> f = acks.remove(a.ackId());
        if (f != null) {
            Status st = Status.of(a.code(), a.message());
            core.callbackExecutor().execute(() -> f.complete(st));
        }
    }

    void onSubscriptionEnd(Frame.SubscriptionEnd e) {
        ClientSubscription sub = subscriptions.remove(e.subscriptionId());
        if (sub != null) {
            sub.end(Status.of(e.code(), e.message()));
        }
    }

    // --- connections ---

    /** A new connection: every subscription subscribes again on it. */
    void sessionOpened(ClientSession s) {
        for (ClientSubscription sub : List.copyOf(subscriptions.values())) {
            sub.bind(s);
        }
    }

    /** The connection is gone: acknowledgements and requests waiting on it fail; subscriptions wait for the next. */
    void sessionClosed(ClientSession s, Status status) {
        for (ClientSubscription sub : subscriptions.values()) {
            sub.unbind(s);
        }
        Status lost = Status.of(StatusCode.UNAVAILABLE, "connection lost: " + status.description());
        for (Integer id : List.copyOf(acks.keySet())) {
            CompletableFuture<Status> f = acks.remove(id);
            if (f != null) {
                f.complete(lost);
            }
        }
        for (String topic : List.copyOf(requests.keySet())) {
            CompletableFuture<Message> f = requests.remove(topic);
            if (f != null) {
                f.completeExceptionally(lost.asException());
            }
        }
    }

    /** The client closed: every subscription ends. */
    void close() {
        for (ClientSubscription sub : List.copyOf(subscriptions.values())) {
            sub.end(Status.of(StatusCode.CANCELLED, "the client was closed"));
        }
        subscriptions.clear();
    }
}
