package io.framewire.grpc;

import io.framewire.Client;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.util.concurrent.EventExecutor;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;

/**
 * Makes what the gateway sends to its backend while one of its event loops handles one burst of input
 * (everything one read of a gRPC connection brought: a call's headers, its message and its end, and
 * often other calls') leave in one write on the backend connection, not a write per event: the first
 * event of a burst {@linkplain Client#holdWrites holds} the loop thread's writes to the backend, and a
 * task queued on the loop, which runs once the loop has handled what it read, releases them. Measured on
 * unary calls: a unary call otherwise costs three writes (CALL, MESSAGE, HALF_CLOSE) and three reads on
 * the backend's side. The release writes without waiting: what the backend's connection does not take at
 * once, a writer thread writes, so a backend that stops reading never holds an event loop (and with it
 * every gRPC call the loop serves).
 *
 * <p>Only the gateway's own event loops hold anything; on any other thread {@link #hold} does nothing.
 */
final class EventLoopBursts {
    private final List<EventLoopGroup> loops;
    /** The loop this thread runs, found once per thread; empty for threads that are no loop of ours. */
    private final ThreadLocal<Optional<EventExecutor>> loopOfThread = new ThreadLocal<>();
    /** The hold of the burst this loop thread is handling, until its release task runs. */
    private final ThreadLocal<Client.WriteHold> open = new ThreadLocal<>();

    /** @param loops the groups whose threads run the gateway's gRPC calls (read when {@link #hold} first runs on a thread) */
    EventLoopBursts(List<EventLoopGroup> loops) {
        this.loops = loops;
    }

    /** On one of the gateway's event loops: holds its writes to {@code client} until the loop is done with its current input. */
    void hold(Client client) {
        if (open.get() != null) {
            return;
        }
        Optional<EventExecutor> loop = currentLoop();
        if (loop.isEmpty()) {
            return;
        }
        Client.WriteHold hold = client.holdWritesWithoutWaiting(); // a loop never waits for the backend to read
        open.set(hold);
        try {
            loop.get().execute(() -> release(hold));
        } catch (RejectedExecutionException e) { // the loop is shutting down
            release(hold);
        }
    }

    private void release(Client.WriteHold hold) {
        open.remove();
        hold.close();
    }

    /** The gateway's event loop this thread runs; empty on any other thread. */
    Optional<EventExecutor> currentLoop() {
        Optional<EventExecutor> loop = loopOfThread.get();
        if (loop == null) {
            loop = findLoop();
            loopOfThread.set(loop);
        }
        return loop;
    }

    private Optional<EventExecutor> findLoop() {
        for (EventLoopGroup group : loops) {
            for (EventExecutor e : group) {
                if (e.inEventLoop()) {
                    return Optional.of(e);
                }
            }
        }
        return Optional.empty();
    }
}
