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
import io.grpc.netty.shaded.io.netty.util.concurrent.EventExecutor;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One gRPC call that the gateway forwards to its Framewire backend, from start to close. The gRPC
 * side's events arrive serialized on a Netty event loop (the gateway's server runs with
 * {@code directExecutor}), the Framewire side's serialized on whichever thread delivers them (the
 * gateway's client runs its callbacks inline), which hands them, in order, to the gRPC call's event
 * loop ({@link #toGrpc}). The gRPC call is written (headers, messages, close) only from the Framewire
 * side's events, there, or once by the starter if the Framewire call cannot start; the
 * Framewire call is sent to from whichever side finds it ready, one thread at a time
 * ({@link #drainRequests}); {@code request(n)} is allowed from any thread on both.
 *
 * <p>Nothing here waits, so nothing blocks an event loop: the Framewire call is started inline only
 * when that cannot wait ({@link Backend#readyClient}), and otherwise on a virtual thread, the gRPC
 * side's events meanwhile only noted; a request the Framewire call cannot take yet waits in
 * {@link #pending} (at most the few {@link Demand} asks ahead). Everything the call holds is charged to its
 * share of the gateway's memory budget, which goes back when the gRPC call ends, however it ends.
 */
final class GatewayCall {
    private static final System.Logger LOG = System.getLogger(GatewayCall.class.getName());

    /**
     * The most Framewire-side events one task on the event loop runs before it lets the loop's other
     * work go first (it queues itself again for the rest).
     */
    static final int EVENTS_PER_TASK = 256;

    private final ServerCall<byte[], byte[]> grpc;
    /** The gRPC call's event loop, where the Framewire side's events run; null to run them where they come. */
    private final EventExecutor loop;
    private final EventLoopBursts bursts;
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
    /** Why the gRPC call was cancelled before the Framewire call existed to hear it. */
    private String cancelledBeforeStart;
    /** Response bytes handed to gRPC while it was not ready: in its outbound queue until its onReady. */
    private long responsesQueued;
    /**
     * The Framewire side's events the event loop has still to run, in order: a response message as its
     * bytes, headers and the close as a Runnable. At most what {@link #responses} asked for, and two more.
     */
    private final ArrayDeque<Object> toGrpcEvents = new ArrayDeque<>();
    /** A task on the event loop will run {@link #toGrpcEvents}. */
    private boolean toGrpcScheduled;

    /** The backend's client once the Framewire call has started on it. */
    private volatile Client client;

    private GatewayCall(ServerCall<byte[], byte[]> grpc, EventExecutor loop, EventLoopBursts bursts,
                        boolean compressResponses, GatewayBudget.Account account) {
        this.grpc = grpc;
        this.loop = loop;
        this.bursts = bursts;
        this.compressResponses = compressResponses;
        this.account = account;
        this.requests = new Demand(grpc::request, () -> {
            ClientCall<byte[], byte[]> f = framewire;
            return f != null && f.isReady();
        }, account);
        this.responses = new Demand(n -> framewire.request(n), () -> framewire != null && grpc.isReady(), account);
    }

    /**
     * Starts forwarding {@code call}; what its {@code ServerCallHandler.startCall} returns. Starts the
     * Framewire call here if that cannot wait, otherwise on {@code starter}.
     */
    static ServerCall.Listener<byte[]> start(Backend backend, GatewayBudget budget, Executor starter,
                                             EventLoopBursts bursts, boolean compressResponses,
                                             ServerCall<byte[], byte[]> call,
                                             io.grpc.Metadata headers) {
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
        CallOptions options = CallOptions.DEFAULT.withMetadata(Mapping.fromGrpc(headers));
        io.grpc.Deadline deadline = Context.current().getDeadline();
        if (deadline != null) {
            options = options.withDeadline(Mapping.fromGrpc(deadline));
        }
        GatewayCall forwarded = new GatewayCall(call, bursts.currentLoop().orElse(null), bursts, compressResponses,
                admitted.get());
        // The context hears of a cancel at once, where Listener.onCancel waits behind the call's other events.
        Context.current().addListener(forwarded::contextCancelled, Runnable::run);
        Optional<Client> ready = backend.readyClient(INLINE_STARTS);
        if (ready.isPresent()) {
            bursts.hold(ready.get()); // the CALL leaves with what follows it in this burst: its message, its half-close
            forwarded.startFramewire(backend, ready.get(), method, options);
        } else {
            CallOptions o = options;
            try {
                starter.execute(() -> forwarded.connectAndStart(backend, method, o));
            } catch (RejectedExecutionException e) { // the gateway is closing
                forwarded.grpc.close(io.grpc.Status.UNAVAILABLE.withDescription("the gateway is closing"), new io.grpc.Metadata());
            }
        }
        return forwarded.new FromGrpc();
    }

    /**
     * Calls open on the backend's connection up to which a call starts inline: below any sane
     * {@code MAX_CONCURRENT_STREAMS} of the backend (Framewire's default is 1,000), beyond which starting
     * a call waits for a free stream.
     */
    static final int INLINE_STARTS = 256;

    /** On the starter: connects to the backend if need be (waiting), then starts the Framewire call. */
    private void connectAndStart(Backend backend, MethodDescriptor<byte[], byte[]> method, CallOptions options) {
        Client client;
        try {
            client = backend.client(options.effectiveDeadline().orElse(null));
        } catch (StatusException e) {
            try {
                grpc.close(Mapping.toGrpc(e.status()), new io.grpc.Metadata());
            } catch (IllegalStateException closed) {
                // cancelled meanwhile: the client has its status
            }
            return;
        }
        startFramewire(backend, client, method, options);
    }

    private void startFramewire(Backend backend, Client client, MethodDescriptor<byte[], byte[]> method,
                                CallOptions options) {
        backend.callStarted();
        this.client = client;
        ClientCall<byte[], byte[]> f = client.startCall(method, options, new FromFramewire(backend));
        String cancelled;
        lock.lock();
        try {
            framewire = f;
            cancelled = cancelledBeforeStart;
        } finally {
            lock.unlock();
        }
        if (cancelled != null) {
            f.cancel(cancelled);
            return;
        }
        requests.poll();
        responses.poll();
        drainRequests(); // a half-close that came first
    }

    private void sendHeaders(io.grpc.Metadata headers) {
        if (compressResponses) {
            grpc.setCompression("gzip"); // identity after all unless the client accepts gzip
        }
        grpc.sendHeaders(headers);
        headersSent = true;
    }

    /**
     * The gRPC call's context was cancelled: by its client, its deadline or a lost connection, and then
     * so is the Framewire call; or because the call has ended, and then there is nothing to do (gRPC
     * cancels every call's context when it ends, without a cause: measured, a few percent of the event
     * loop's time went to cancelling Framewire calls that had already ended).
     */
    private void contextCancelled(Context context) {
        if (context.cancellationCause() != null) {
            cancelFramewire(context);
        }
    }

    /**
     * The gRPC call was cancelled (by its client, its deadline or a lost connection): so is the
     * Framewire call, whose handler observes it. Nothing once the Framewire call has ended.
     */
    private void cancelFramewire(Context context) {
        holdWrites(); // on an event loop, the CANCEL leaves without waiting for the backend
        requests.stop();
        responses.stop();
        io.grpc.Deadline deadline = context.getDeadline();
        String why = deadline != null && deadline.isExpired()
                ? "the gRPC call's deadline passed at the gateway" : "cancelled by the gRPC client";
        ClientCall<byte[], byte[]> f;
        lock.lock();
        try {
            f = framewire;
            if (f == null) {
                cancelledBeforeStart = why; // the starter cancels it as soon as it exists
            }
        } finally {
            lock.unlock();
        }
        if (f != null) {
            f.cancel(why);
        }
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
            if (framewire == null) {
                return; // the starter drains once it has started the call
            }
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

    /**
     * Runs a Framewire-side event (a response message, or its headers or close as a Runnable) on the gRPC
     * call's event loop, after those before it. Events that come while one task is due or running run in
     * that task: gRPC then flushes what the task gave it once, after the task (a message given from
     * another thread costs a queued write and a flush request on the loop each), and the task settles
     * the messages' flow control once ({@link #responsesSent}). Measured (64 B server streaming,
     * {@code benchmarks/compare.sh}, 3 alternating runs): the gateway JVM's CPU per message 0.86x and 0.90x
     * with a gRPC client that requests ahead, within noise with the stub's one-at-a-time requests.
     */
    private void toGrpc(Object event) {
        if (loop == null) {
            handle(event);
            return;
        }
        boolean schedule;
        lock.lock();
        try {
            toGrpcEvents.addLast(event);
            schedule = !toGrpcScheduled;
            toGrpcScheduled = true;
        } finally {
            lock.unlock();
        }
        if (schedule) {
            runToGrpcOnLoop();
        }
    }

    private void runToGrpcOnLoop() {
        try {
            loop.execute(this::runToGrpcTask);
        } catch (RejectedExecutionException e) { // the loop is shutting down: the call ends with it
            runToGrpcTask();
        }
    }

    /**
     * {@link #runToGrpc} as a task: an event that throws what its own handling does not expect ends this
     * call on both sides, instead of leaving its later events queued behind a task that never comes.
     */
    private void runToGrpcTask() {
        try {
            runToGrpc();
        } catch (RuntimeException | Error e) {
            LOG.log(Level.WARNING, "forwarding a response of " + grpc.getMethodDescriptor().getFullMethodName()
                    + " to its gRPC client failed; the call is cancelled", e);
            cancelBackend(e instanceof RuntimeException r ? r : new IllegalStateException(e));
            try {
                grpc.close(io.grpc.Status.INTERNAL.withDescription("the gateway failed to forward a response"),
                        new io.grpc.Metadata());
            } catch (RuntimeException closed) {
                // closed or cancelled already: its client has a status
            }
            if (e instanceof Error error) {
                throw error;
            }
        }
    }

    /**
     * The task on the event loop: runs the Framewire side's events in order, up to
     * {@link #EVENTS_PER_TASK}. The messages' flow control is settled once per run of them
     * ({@link #responsesSent}), not per message: asking the backend for more may deliver more at once,
     * which this task then runs too.
     */
    private void runToGrpc() {
        int sent = 0;
        for (int n = 0; ; n++) {
            Object next = null;
            lock.lock();
            try {
                if (n < EVENTS_PER_TASK) {
                    next = toGrpcEvents.pollFirst();
                }
                if (next == null && sent == 0) {
                    toGrpcScheduled = !toGrpcEvents.isEmpty(); // left only past EVENTS_PER_TASK
                    if (!toGrpcScheduled) {
                        return;
                    }
                }
            } finally {
                lock.unlock();
            }
            if (next instanceof byte[] message) {
                sent += sendResponse(message) ? 1 : 0;
                continue;
            }
            if (next == null && sent == 0) {
                runToGrpcOnLoop(); // the rest after the loop's other work
                return;
            }
            responsesSent(sent); // before a header or close event, and whenever the queue runs dry
            sent = 0;
            if (next != null) {
                ((Runnable) next).run();
            }
        }
    }

    private void handle(Object event) {
        if (event instanceof byte[] message) {
            if (sendResponse(message)) {
                responsesSent(1);
            }
        } else {
            ((Runnable) event).run();
        }
    }

    /** {@code n} response messages were handed to gRPC: what gRPC has sent goes back to the budget, and more is asked for. */
    private void responsesSent(int n) {
        if (n == 0) {
            return;
        }
        if (grpc.isReady()) {
            releaseQueuedResponses();
        }
        responses.delivered(n);
    }

    /** A response message from the backend, on the gRPC call's event loop; whether gRPC took it. */
    private boolean sendResponse(byte[] message) {
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
            return false;
        }
        return true;
    }

    private void cancelBackend(RuntimeException why) {
        ClientCall<byte[], byte[]> f = framewire;
        if (f != null) {
            f.cancel("the gRPC call could not take a response: " + why.getMessage());
        }
    }

    /** On the gRPC side's event loop: what this event sends the backend leaves with the rest of the burst. */
    private void holdWrites() {
        Client c = client;
        if (c != null) {
            bursts.hold(c);
        }
    }

    /** The gRPC client's side: its messages, half-close and cancellation go to the Framewire call. */
    private final class FromGrpc extends ServerCall.Listener<byte[]> {
        @Override
        public void onMessage(byte[] message) {
            holdWrites();
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
            holdWrites();
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
            holdWrites();
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
        private final Backend backend;

        FromFramewire(Backend backend) {
            this.backend = backend;
        }

        @Override
        public boolean autoRequest() {
            return false;
        }

        @Override
        public void onHeaders(Metadata headers) {
            toGrpc((Runnable) () -> {
                try {
                    sendHeaders(Mapping.toGrpc(headers));
                } catch (IllegalStateException e) {
                    cancelBackend(e);
                }
            });
        }

        @Override
        public void onMessage(byte[] message) {
            responses.arrived(message.length); // charged now; handed on, in order, on the event loop
            toGrpc(message);
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
            backend.callEnded(status.code());
            requests.stop();
            responses.stop();
            toGrpc((Runnable) () -> {
                if (grpc.isCancelled()) {
                    return;
                }
                try {
                    grpc.close(Mapping.toGrpc(status), Mapping.toGrpc(trailers));
                } catch (IllegalStateException e) {
                    // Closed already, or cancelled meanwhile: the client has its status.
                }
            });
        }

        @Override
        public void onReady() {
            drainRequests();
            requests.poll();
        }
    }
}
