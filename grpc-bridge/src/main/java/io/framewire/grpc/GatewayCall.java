package io.framewire.grpc;

import io.framewire.CallOptions;
import io.framewire.Client;
import io.framewire.ClientCall;
import io.framewire.MethodDescriptor;
import io.framewire.Status;
import io.framewire.StatusException;
import io.framewire.protocol.Metadata;
import io.grpc.Context;
import io.grpc.ServerCall;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One gRPC call that the gateway forwards to its Framewire backend, from start to close. The gRPC
 * side's events arrive serialized on the gateway's executor, the Framewire side's serialized on the
 * client's callback executor. The gRPC call is written (headers, messages, close) only from the
 * Framewire side's events; the Framewire call is sent to from whichever side finds it ready, one
 * thread at a time ({@link #drainRequests}); {@code request(n)} is allowed from any thread on both.
 *
 * <p>Nothing here waits: a request the Framewire call cannot take yet waits in {@link #pending}
 * (at most {@link Demand#AHEAD} of them), and everything the call holds is charged to its share of the
 * gateway's memory budget, which goes back when the gRPC call ends, however it ends.
 */
final class GatewayCall {
    private final ServerCall<byte[], byte[]> grpc;
    private final boolean compressResponses;
    private final GatewayBudget.Account account;
    private volatile ClientCall<byte[], byte[]> framewire;
    /** gRPC client -> Framewire backend: asks gRPC for messages while the Framewire call can send. */
    private final Demand requests;
    /** Framewire backend -> gRPC client: asks Framewire for messages while the gRPC call can send. */
    private final Demand responses;
    /** Framewire listener events only. */
    private boolean headersSent;

    private final ReentrantLock lock = new ReentrantLock();
    /** Requests from the gRPC client the Framewire call has not taken yet. */
    private final ArrayDeque<byte[]> pending = new ArrayDeque<>();
    private boolean halfClosePending;
    private boolean halfClosed;
    /** A thread is sending {@link #pending}; another that finds more to do sets {@link #drainAgain}. */
    private boolean draining;
    private boolean drainAgain;
    private boolean ended;
    /** Response bytes handed to gRPC while it was not ready: in its outbound queue until its onReady. */
    private long responsesQueued;

    private GatewayCall(ServerCall<byte[], byte[]> grpc, boolean compressResponses, GatewayBudget.Account account) {
        this.grpc = grpc;
        this.compressResponses = compressResponses;
        this.account = account;
        this.requests = new Demand(grpc::request, () -> {
            ClientCall<byte[], byte[]> f = framewire;
            return f != null && f.isReady();
        }, account);
        this.responses = new Demand(n -> framewire.request(n), grpc::isReady, account);
    }

    /** Starts forwarding {@code call}; what its {@code ServerCallHandler.startCall} returns. */
    static ServerCall.Listener<byte[]> start(Backend backend, GatewayBudget budget, boolean compressResponses,
                                             ServerCall<byte[], byte[]> call, io.grpc.Metadata headers) {
        MethodDescriptor<byte[], byte[]> method;
        try {
            method = backend.method(call.getMethodDescriptor().getFullMethodName());
        } catch (IllegalArgumentException e) {
            call.close(io.grpc.Status.UNIMPLEMENTED.withDescription(e.getMessage()), new io.grpc.Metadata());
            return new ServerCall.Listener<>() {};
        }
        Optional<GatewayBudget.Account> admitted = budget.admit();
        if (admitted.isEmpty()) {
            call.close(io.grpc.Status.RESOURCE_EXHAUSTED.withDescription(budget.refusal()), new io.grpc.Metadata());
            return new ServerCall.Listener<>() {};
        }
        GatewayBudget.Account account = admitted.get();
        CallOptions options = CallOptions.DEFAULT.withMetadata(Mapping.fromGrpc(headers));
        io.grpc.Deadline deadline = Context.current().getDeadline();
        if (deadline != null) {
            options = options.withDeadline(Mapping.fromGrpc(deadline));
        }
        Client client;
        try {
            client = backend.client();
        } catch (StatusException e) {
            account.close();
            call.close(Mapping.toGrpc(e.status()), new io.grpc.Metadata());
            return new ServerCall.Listener<>() {};
        }
        GatewayCall forwarded = new GatewayCall(call, compressResponses, account);
        forwarded.framewire = client.startCall(method, options, forwarded.new FromFramewire());
        // The context hears of a cancel at once, where Listener.onCancel waits behind the call's other events.
        Context.current().addListener(forwarded::cancelFramewire, Runnable::run);
        forwarded.requests.poll();
        forwarded.responses.poll();
        return forwarded.new FromGrpc();
    }

    private void sendHeaders(io.grpc.Metadata headers) {
        if (compressResponses) {
            grpc.setCompression("gzip"); // identity after all unless the client accepts gzip
        }
        grpc.sendHeaders(headers);
        headersSent = true;
    }

    /**
     * The gRPC call was cancelled (by its client, its deadline or a lost connection): so is the
     * Framewire call, whose handler observes it. Nothing once the Framewire call has ended.
     */
    private void cancelFramewire(Context context) {
        requests.stop();
        responses.stop();
        io.grpc.Deadline deadline = context.getDeadline();
        framewire.cancel(deadline != null && deadline.isExpired()
                ? "the gRPC call's deadline passed at the gateway" : "cancelled by the gRPC client");
    }

    /** The gRPC call has ended (completed or cancelled): all the call held goes back to the budget. */
    private void finish() {
        requests.stop();
        responses.stop();
        lock.lock();
        try {
            ended = true;
            pending.clear();
        } finally {
            lock.unlock();
        }
        account.close();
    }

    /**
     * Sends the pending requests, then the half-close, while the Framewire call is ready; from either
     * side's events, one thread at a time. Stops when the call is not ready: its onReady calls again.
     */
    private void drainRequests() {
        lock.lock();
        try {
            if (draining) {
                drainAgain = true;
                return;
            }
            draining = true;
        } finally {
            lock.unlock();
        }
        ClientCall<byte[], byte[]> f = framewire;
        while (true) {
            byte[] next;
            boolean halfClose = false;
            lock.lock();
            try {
                next = ended ? null : pending.peekFirst();
                if (next == null && !ended && halfClosePending && !halfClosed) {
                    halfClosed = halfClose = true;
                }
                if (next == null && !halfClose) {
                    if (!drainAgain) {
                        draining = false;
                        return;
                    }
                    drainAgain = false;
                    continue;
                }
                drainAgain = false;
            } finally {
                lock.unlock();
            }
            if (halfClose) {
                f.halfClose();
                continue;
            }
            if (!f.isReady()) {
                lock.lock();
                try {
                    if (!drainAgain) {
                        draining = false;
                        return;
                    }
                    drainAgain = false;
                    continue;
                } finally {
                    lock.unlock();
                }
            }
            lock.lock();
            try {
                pending.pollFirst();
            } finally {
                lock.unlock();
            }
            try {
                f.send(next); // ready: returns without waiting
            } catch (StatusException | IllegalStateException e) {
                // The Framewire call has ended: its close is on its way to the gRPC client.
            }
            account.release(next.length);
            requests.delivered();
        }
    }

    /** gRPC's outbound queue is below its threshold again: the responses it held are on the wire. */
    private void releaseQueuedResponses() {
        long bytes;
        lock.lock();
        try {
            bytes = responsesQueued;
            responsesQueued = 0;
        } finally {
            lock.unlock();
        }
        account.release(bytes);
    }

    /** The gRPC client's side: its messages, half-close and cancellation go to the Framewire call. */
    private final class FromGrpc extends ServerCall.Listener<byte[]> {
        @Override
        public void onMessage(byte[] message) {
            requests.arrived(message.length);
            lock.lock();
            try {
                if (ended) {
                    account.release(message.length);
                    return;
                }
                pending.addLast(message);
            } finally {
                lock.unlock();
            }
            drainRequests();
        }

        @Override
        public void onHalfClose() {
            lock.lock();
            try {
                halfClosePending = true;
            } finally {
                lock.unlock();
            }
            drainRequests();
        }

        @Override
        public void onCancel() {
            cancelFramewire(Context.current());
            finish();
        }

        @Override
        public void onComplete() {
            finish();
        }

        @Override
        public void onReady() {
            releaseQueuedResponses();
            responses.poll();
        }
    }

    /** The Framewire backend's side: its headers, messages and end go to the gRPC client. */
    private final class FromFramewire implements ClientCall.Listener<byte[]> {
        @Override
        public boolean autoRequest() {
            return false;
        }

        @Override
        public void onHeaders(Metadata headers) {
            try {
                sendHeaders(Mapping.toGrpc(headers));
            } catch (IllegalStateException e) {
                cancelBackend(e);
            }
        }

        @Override
        public void onMessage(byte[] message) {
            responses.arrived(message.length);
            lock.lock();
            try {
                responsesQueued += message.length;
            } finally {
                lock.unlock();
            }
            try {
                if (!headersSent) {
                    sendHeaders(new io.grpc.Metadata());
                }
                grpc.sendMessage(message);
            } catch (RuntimeException e) {
                cancelBackend(e); // the gRPC call is gone (cancelled, or its client disconnected)
                return;
            }
            if (grpc.isReady()) {
                releaseQueuedResponses();
            }
            responses.delivered();
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
            requests.stop();
            responses.stop();
            if (grpc.isCancelled()) {
                return;
            }
            try {
                grpc.close(Mapping.toGrpc(status), Mapping.toGrpc(trailers));
            } catch (IllegalStateException e) {
                // Closed already, or cancelled meanwhile: the client has its status.
            }
        }

        @Override
        public void onReady() {
            drainRequests();
            requests.poll();
        }

        private void cancelBackend(RuntimeException why) {
            ClientCall<byte[], byte[]> f = framewire;
            if (f != null) {
                f.cancel("the gRPC call could not take a response: " + why.getMessage());
            }
        }
    }
}
