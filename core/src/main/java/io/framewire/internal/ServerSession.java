package io.framewire.internal;

import io.framewire.Deadline;
import io.framewire.Peer;
import io.framewire.ServerLimits;
import io.framewire.Status;
import io.framewire.protocol.ErrorCode;
import io.framewire.protocol.Frame;
import io.framewire.protocol.Handshake;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.MethodType;
import io.framewire.protocol.ProtocolException;
import io.framewire.protocol.StatusCode;
import io.framewire.spi.Connection;
import io.framewire.spi.TransportCapability;
import io.framewire.spi.TransportProvider;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The server end of a connection: answers the HELLO, opens a {@link ServerStream} per CALL, hosts subscriptions. */
final class ServerSession extends Session {
    final ServerRuntime runtime;
    private final Peer peer;

    /** This connection's subscriptions by id; the reader adds them, closing removes them. */
    private final Map<Integer, BrokerSubscription> subscriptions = new ConcurrentHashMap<>();
    private final InboundPublishes publishes;
    /** Highest client stream id seen; written by the reader, read by shutdown. */
    private volatile int lastStreamId;
    /** False on a datagram transport: only unary calls run there (see {@link TransportProvider}). */
    private final boolean streamsSupported;
    private final String scheme;

    ServerSession(Connection connection, TransportProvider transport, ServerRuntime runtime) {
        super(connection, transport.scheme(), runtime.sessionConfig, runtime.memory);
        this.runtime = runtime;
        this.peer = Peer.of(transport.scheme(), connection.remoteAddress(), connection.peerCredentials());
        this.streamsSupported = transport.capabilities().contains(TransportCapability.RELIABLE_ORDERED);
        this.scheme = transport.scheme();
        this.publishes = new InboundPublishes(this, runtime.broker, localSettings().publishWindow());
        runtime.sessions.add(this);
    }

    void start() {
        start(connection.readerThreads(), runtime.handshakeTimeout);
    }

    @Override
    void onHello(Frame.Hello hello) {
        int version = Handshake.chooseVersion(hello);
        out.sendControl(Handshake.serverHello(version, localSettings()), false);
        opened(hello.settings());
        if (runtime.draining) {
            goAway();
        }
    }

    @Override
    void onStreamFrame(Frame frame) {
        switch (frame) {
            case Frame.Call c -> onCall(c);
            case Frame.Message m -> onMessageFrame(m);
            case Frame.HalfClose h -> {
                StreamBase s = streams.get(h.streamId());
                if (s == null) {
                    checkKnownStream(h.streamId(), "HALF_CLOSE");
                    return;
                }
                ((ServerStream) s).onHalfClose();
            }
            case Frame.Cancel c -> {
                StreamBase s = streams.get(c.streamId());
                if (s == null) {
                    checkKnownStream(c.streamId(), "CANCEL");
                    return;
                }
                ((ServerStream) s).onCancel(c);
            }
            case Frame.Subscribe s -> onSubscribe(s);
            case Frame.Unsubscribe u -> {
                BrokerSubscription b = subscriptions.remove(u.subscriptionId());
                if (b != null) {
                    runtime.broker.remove(b);
                    b.close();
                    account.release(b.footprint);
                }
            }
            case Frame.Publish p -> publishes.onPublish(p, currentPayloadLength());
            default -> throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, frame.type() + " may only be sent by a server");
        }
    }

    /**
     * What an open call costs the heap before any message arrives, charged to the memory budget until
     * it ends (with its metadata and method name on top): its state, and its handler's thread while it
     * waits. Measured: 8,000 calls waiting in a handler took 37 MiB, about 4.8 KB each
     * (HostileProcessesTest a12); rounded up. Without it, 40 connections that each opened their 1,000
     * calls (2 MB on the wire) exhausted a 128 MiB heap.
     */
    static final long CALL_BYTES = 6 * 1024;

    private void onCall(Frame.Call c) {
        int id = c.streamId();
        if ((id & 1) == 0 || id <= lastStreamId) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "CALL on stream " + id
                    + ": client stream ids must be odd and increasing (last was " + lastStreamId + ")");
        }
        lastStreamId = id;
        if (state != State.OPEN) {
            refuse(id, StatusCode.UNAVAILABLE, "the server is shutting down; the call was not processed");
            return;
        }
        int maxStreams = localSettings().maxConcurrentStreams();
        // A stream whose STATUS is not written yet still counts: its frames still take memory.
        if (streams.size() + out.finishingCount() >= maxStreams) {
            refuse(id, StatusCode.UNAVAILABLE, "too many concurrent streams (limit " + maxStreams + "); the call was not processed");
            return;
        }
        int metadataSize = c.metadata().encodedSize();
        if (metadataSize > localSettings().maxMetadataSize()) {
            refuse(id, StatusCode.RESOURCE_EXHAUSTED, "request metadata of " + metadataSize
                    + " bytes exceeds the server's limit of " + localSettings().maxMetadataSize() + " bytes");
            return;
        }
        if (!streamsSupported && c.methodType() != MethodType.UNARY) {
            refuse(id, StatusCode.UNIMPLEMENTED, ClientCore.streamingUnsupported(scheme));
            return;
        }
        ServerMethod method = runtime.methods.get(c.method());
        if (method == null) {
            method = runtime.fallbackFor(c.method(), c.methodType());
        }
        if (method == null) {
            refuse(id, StatusCode.UNIMPLEMENTED, "unknown method " + Topics.shortened(c.method()));
            return;
        }
        if (c.methodType() != MethodType.UNKNOWN && method.descriptor().type() != c.methodType()) {
            refuse(id, StatusCode.UNIMPLEMENTED, "method " + c.method() + " is " + method.descriptor().type()
                    + " but was called as " + c.methodType());
            return;
        }
        Deadline deadline = c.hasDeadline() ? Deadline.afterNanos(c.timeoutNanos()) : null;
        ServerCallContextImpl ctx = new ServerCallContextImpl(c.method(), c.metadata(), peer, deadline,
                config.callbackExecutor());
        ServerStream stream = new ServerStream(this, id, method, ctx,
                CALL_BYTES + metadataSize + 2L * c.method().length());
        account.charge(stream.footprint);
        streams.put(id, stream);
        if (state == State.CLOSED) {
            // Closed by another thread between the check above and now: close() may not have seen it.
            if (streams.remove(id, stream)) {
                account.release(stream.footprint);
            }
            stream.abort(Status.of(StatusCode.UNAVAILABLE, "the connection closed"), false);
            return;
        }
        if (deadline != null && !stream.armDeadline(deadline)) {
            stream.abort(Status.of(StatusCode.DEADLINE_EXCEEDED, "deadline already exceeded on arrival"), true);
            return;
        }
        stream.started();
    }

    private void onSubscribe(Frame.Subscribe s) {
        int id = s.subscriptionId();
        if (subscriptions.containsKey(id)) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "subscription id " + id + " is already in use");
        }
        ServerLimits limits = runtime.limits;
        String problem = Topics.problem(s.pattern(), true);
        if (problem == null && !s.queueGroup().isEmpty()) {
            problem = Topics.problem(s.queueGroup(), false) == null ? null
                    : "invalid queue group '" + Topics.shortened(s.queueGroup()) + "'";
        }
        if (problem == null && (s.maxMessages() == 0 || s.maxBytes() == 0)) {
            problem = "max messages and max bytes must be at least 1";
        }
        if (problem != null) {
            endSubscription(id, StatusCode.INVALID_ARGUMENT, "cannot subscribe to '" + Topics.shortened(s.pattern())
                    + "': " + problem);
            return;
        }
        if (state != State.OPEN) {
            endSubscription(id, StatusCode.UNAVAILABLE, "the server is shutting down");
            return;
        }
        if (subscriptions.size() >= limits.maxSubscriptionsPerConnection()) {
            endSubscription(id, StatusCode.RESOURCE_EXHAUSTED, "this connection already has "
                    + limits.maxSubscriptionsPerConnection() + " subscriptions, the server's limit");
            return;
        }
        if (shedding) {
            endSubscription(id, StatusCode.RESOURCE_EXHAUSTED, "the server is out of memory for this connection");
            return;
        }
        // The client chooses its queue's bounds; the server caps them at its own limits, and one
        // connection's subscriptions together at half the memory budget, however it was configured.
        BrokerSubscription b = new BrokerSubscription(this, s,
                (int) Math.min(Integer.toUnsignedLong(s.maxMessages()), limits.maxSubscriptionMessages()),
                Math.min(Integer.toUnsignedLong(s.maxBytes()), limits.maxSubscriptionBytes()),
                limits.maxBlockTime().toNanos(),
                Math.min(limits.maxSubscriptionBytesPerConnection(), runtime.memory.limit() / 2));
        account.charge(b.footprint);
        subscriptions.put(id, b);
        runtime.broker.add(b);
        if (state == State.CLOSED && subscriptions.remove(id, b)) {
            // Closed by another thread meanwhile: onClosed may have missed it.
            runtime.broker.remove(b);
            b.close();
        }
    }

    private void endSubscription(int id, StatusCode code, String message) {
        reply(new Frame.SubscriptionEnd(id, code, message));
    }

    @Override
    void onSubscriptionCredit(Frame.Credit c) {
        BrokerSubscription b = subscriptions.get(c.streamId());
        if (b != null) {
            b.addCredit(Integer.toUnsignedLong(c.increment()));
        }
    }

    /** Ends a call before it started: a STATUS on the connection queue (the stream has nothing else). */
    private void refuse(int streamId, StatusCode code, String message) {
        reply(new Frame.Status(streamId, code, message, Metadata.EMPTY));
    }

    @Override
    void checkKnownStream(int streamId, String frameType) {
        if (streamId > lastStreamId || (streamId & 1) == 0) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, frameType + " for stream " + streamId
                    + ", which the client never opened");
        }
        // Otherwise the stream existed and has ended: frames still in flight are dropped.
    }

    @Override
    void onGoAway(Frame.GoAway goAway) {
        // The client is going away: it opens no more calls; in-flight calls finish normally.
    }

    void streamEnded(ServerStream stream) {
        if (streams.remove(stream.id(), stream)) {
            account.release(stream.footprint);
        }
        if (state == State.DRAINING && streams.isEmpty()) {
            closeGracefully();
        }
    }

    /** Graceful drain: GOAWAY now, close once the calls in flight have finished. */
    void goAway() {
        if (state != State.OPEN) {
            if (state == State.HANDSHAKING) {
                close(Status.of(StatusCode.UNAVAILABLE, "server shutting down"), null);
            }
            return;
        }
        state = State.DRAINING;
        out.sendControl(new Frame.GoAway(lastStreamId, ErrorCode.NO_ERROR, "server shutting down"), false);
        if (streams.isEmpty()) {
            closeGracefully();
        }
    }

    /** Closes now, cancelling calls in flight; the GOAWAY tells the client which calls were processed. */
    void closeNow() {
        close(Status.of(StatusCode.UNAVAILABLE, "the server shut down"),
                new Frame.GoAway(lastStreamId, ErrorCode.NO_ERROR, "server shut down"));
    }

    private void closeGracefully() {
        out.closeWhenFlushed(CLOSE_GRACE_MILLIS);
        close(Status.of(StatusCode.UNAVAILABLE, "server shut down"), new Frame[0], false);
    }

    @Override
    void onClosed(Status status) {
        runtime.sessions.remove(this);
        publishes.close();
        for (BrokerSubscription b : subscriptions.values()) {
            runtime.broker.remove(b);
            b.close();
        }
        subscriptions.clear();
    }
}
