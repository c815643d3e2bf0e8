package io.framewire.internal;

import io.framewire.Deadline;
import io.framewire.Status;
import io.framewire.protocol.ErrorCode;
import io.framewire.protocol.Frame;
import io.framewire.protocol.Handshake;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.MethodType;
import io.framewire.protocol.ProtocolException;
import io.framewire.protocol.StatusCode;
import io.framewire.spi.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The client end of a connection: opens calls as streams with increasing odd ids, and routes HEADERS,
 * MESSAGE and STATUS to them.
 */
final class ClientSession extends Session {
    /** Calls the server lets us have open at once; sized from its HELLO. */
    private final Semaphore streamPermits = new Semaphore(0);
    /** Guarded by the outbound lock, so ids reach the wire in increasing order. */
    private int nextStreamId = 1;
    private volatile int lastOpenedStreamId;

    /**
     * Publishes, in order, bounded by the connection's queue, and sent as the broker's publish credit
     * allows (PROTOCOL.md section 4.1): a publisher outrunning its subscribers waits here.
     */
    final SendQueue publishes = new SendQueue(io.framewire.protocol.Setting.PUBLISH_WINDOW.defaultValue(), true);
    private final ClientPubSub pubsub;

    ClientSession(Connection connection, String transport, SessionConfig config, ClientPubSub pubsub) {
        super(connection, transport, config, null);
        this.pubsub = pubsub;
    }

    /** Permits handed out when the session closes, to wake every waiter; above any stream limit we use. */
    private static final int WAKE_ALL = 1 << 30;

    @Override
    void onHello(Frame.Hello hello) {
        Handshake.acceptServerHello(hello);
        out.lock().lock();
        try {
            publishes.window = hello.settings().publishWindow();
        } finally {
            out.lock().unlock();
        }
        opened(hello.settings());
        streamPermits.release(Math.min(hello.settings().maxConcurrentStreams(), WAKE_ALL - 1));
    }

    @Override
    void onPublishCredit(Frame.Credit c) {
        if (!out.addStreamCredit(publishes, c.increment())) {
            throw new ProtocolException(ErrorCode.FLOW_CONTROL_ERROR, "publish credit overflows 2^31-1");
        }
    }

    @Override
    void onClosed(Status status) {
        streamPermits.release(WAKE_ALL);
        pubsub.sessionClosed(this, status);
    }

    /**
     * Opens a call: waits for a stream slot (up to the deadline), then queues CALL, the first message if
     * given, and HALF_CLOSE if asked, in one go.
     *
     * @throws io.framewire.StatusException UNAVAILABLE if the session cannot take calls, DEADLINE_EXCEEDED
     *         if no stream slot freed up in time
     */
    void open(ClientStream stream, Metadata metadata, byte[] firstMessage, boolean halfClose) {
        Deadline deadline = stream.deadline;
        try {
            boolean got = streamPermits.tryAcquire();
            if (!got) {
                // The calls holding the permits may be among what this thread holds back (Client.holdWrites).
                HeldWrites.writeHeldNow();
                if (deadline == null) {
                    streamPermits.acquire();
                    got = true;
                } else {
                    got = streamPermits.tryAcquire(Math.max(0, deadline.remainingNanos()), TimeUnit.NANOSECONDS);
                }
            }
            if (!got || state != State.OPEN) {
                if (got) {
                    streamPermits.release();
                }
                if (state != State.OPEN) {
                    throw Status.of(StatusCode.UNAVAILABLE, "connection to " + connection.remoteAddress()
                            + " is closed").asException();
                }
                throw Status.of(StatusCode.DEADLINE_EXCEEDED, "deadline exceeded waiting for a free stream (the server allows "
                        + peerSettings().maxConcurrentStreams() + " at once)").asException();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.of(StatusCode.CANCELLED, "interrupted while waiting for a free stream").asException(e);
        }
        Outbound o = out;
        o.lock().lock();
        try {
            if (state != State.OPEN || nextStreamId <= 0) {
                streamPermits.release();
                if (nextStreamId <= 0) {
                    state = State.DRAINING; // ids exhausted: the client opens a new connection
                }
                throw Status.of(StatusCode.UNAVAILABLE, "connection to " + connection.remoteAddress()
                        + " no longer takes calls").asException();
            }
            int id = nextStreamId;
            nextStreamId += 2;
            lastOpenedStreamId = id;
            stream.out.streamId = id;
            streams.put(id, stream);
            long timeout = deadline == null ? -1 : Math.max(0, deadline.remainingNanos());
            o.enqueueLocked(stream.out, new Frame.Call(id, stream.type, timeout, stream.method, metadata), null);
            if (firstMessage != null) {
                o.enqueueLocked(stream.out, null, firstMessage);
            }
            if (halfClose) {
                o.enqueueLocked(stream.out, new Frame.HalfClose(id), null);
            }
        } finally {
            o.lock().unlock();
        }
        stream.armDeadline();
        o.flush(mayWrite());
    }

    ClientStream newStream(String method, MethodType type, Deadline deadline, ClientStream.Listener listener) {
        return new ClientStream(this, method, type, deadline, listener);
    }

    @Override
    void onStreamFrame(Frame frame) {
        switch (frame) {
            case Frame.Headers h -> {
                ClientStream s = stream(h.streamId(), "HEADERS");
                if (s != null) {
                    s.onHeaders(h);
                }
            }
            case Frame.Message m -> onMessageFrame(m);
            case Frame.Status st -> {
                ClientStream s = stream(st.streamId(), "STATUS");
                if (s != null) {
                    s.onStatus(st);
                }
            }
            default -> onOtherFrame(frame);
        }
    }

    /** Pub/sub frames, and anything a server may not send. */
    private void onOtherFrame(Frame frame) {
        switch (frame) {
            case Frame.Deliver d -> pubsub.onDeliver(this, d);
            case Frame.Gap g -> pubsub.onGap(this, g);
            case Frame.Ack a -> pubsub.onAck(a);
            case Frame.SubscriptionEnd e -> pubsub.onSubscriptionEnd(e);
            default -> throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, frame.type() + " may only be sent by a client");
        }
    }

    private ClientStream stream(int id, String type) {
        StreamBase s = streams.get(id);
        if (s == null) {
            checkKnownStream(id, type);
            return null;
        }
        return (ClientStream) s;
    }

    @Override
    void checkKnownStream(int streamId, String frameType) {
        if ((streamId & 1) == 0 || streamId > lastOpenedStreamId) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, frameType + " for stream " + streamId
                    + ", which this client never opened");
        }
    }

    void streamEnded(ClientStream stream) {
        if (streams.remove(stream.id(), stream)) {
            streamPermits.release();
        }
        if (state == State.DRAINING && streams.isEmpty()) {
            close(Status.of(StatusCode.UNAVAILABLE, "connection drained after GOAWAY"), null);
        }
    }

    /** Runs when this session stops taking new calls (a GOAWAY), for the client's connection state. */
    private volatile Runnable onDraining = () -> { };

    void onDraining(Runnable r) {
        onDraining = r;
    }

    @Override
    void onGoAway(Frame.GoAway goAway) {
        if (state == State.OPEN) {
            state = State.DRAINING;
            onDraining.run();
        }
        List<StreamBase> unprocessed = new ArrayList<>();
        for (StreamBase s : streams.values()) {
            if (s.id() > goAway.lastStreamId()) {
                unprocessed.add(s);
            }
        }
        for (StreamBase s : unprocessed) {
            ((ClientStream) s).end(Status.of(StatusCode.UNAVAILABLE, "the server is going away (" + goAway.message()
                    + ") and did not process this call; it is safe to retry"), Metadata.EMPTY, false);
        }
        if (streams.isEmpty()) {
            close(Status.of(StatusCode.UNAVAILABLE, "the server went away: " + goAway.message()), null);
        }
    }

    /** Whether new calls may start on this session. */
    boolean acceptsCalls() {
        return state == State.OPEN;
    }
}
