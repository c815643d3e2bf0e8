package io.framewire.benchmarks;

import io.framewire.CallOptions;
import io.framewire.Client;
import io.framewire.ClientCall;
import io.framewire.Status;
import io.framewire.StatusException;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.StatusCode;

/**
 * Framewire's two ways to receive a flood on one {@link Client}, which holds one connection: pulled (a
 * virtual thread per stream iterating {@link ClientCall#responses()}) and pushed (a
 * {@link ClientCall.Listener} that takes every message as it comes).
 */
final class FramewireStreamClients {
    private FramewireStreamClients() {}

    /** The pulled style: {@link Client#newCall}, then a virtual thread per stream blocks in the iteration. */
    static final class Pulled implements StreamClient {
        private final Client client;

        Pulled(Client client) {
            this.client = client;
        }

        @Override
        public Stream open(StreamTally tally) {
            ClientCall<byte[], byte[]> call = client.newCall(FramewireFlood.FLOOD, CallOptions.DEFAULT);
            try {
                call.sendLast(tally.request().encode());
            } catch (RuntimeException e) {
                call.close();
                throw e;
            }
            Thread.ofVirtual().name("framewire-pull").start(() -> receive(call, tally));
            return () -> call.cancel("the harness stopped the stream");
        }

        private static void receive(ClientCall<byte[], byte[]> call, StreamTally tally) {
            try (call) {
                for (byte[] message : call.responses()) {
                    if (!tally.accept(message)) {
                        return; // closing the call cancels it
                    }
                }
                tally.endedOk();
            } catch (StatusException e) {
                report(e.status(), tally);
            } catch (RuntimeException | Error e) {
                tally.failed("the iteration threw " + e, e);
            }
        }

        @Override
        public void close() {
            client.close();
        }
    }

    /** The pushed style: {@link Client#startCall} with a listener on the client's default callback executor. */
    static final class Pushed implements StreamClient {
        private final Client client;

        Pushed(Client client) {
            this.client = client;
        }

        @Override
        public Stream open(StreamTally tally) {
            Receiver receiver = new Receiver(tally);
            ClientCall<byte[], byte[]> call = client.startCall(FramewireFlood.FLOOD, CallOptions.DEFAULT, receiver);
            receiver.call = call;
            call.sendLast(tally.request().encode());
            return () -> call.cancel("the harness stopped the stream");
        }

        @Override
        public void close() {
            client.close();
        }
    }

    /** Hears one pushed stream; the listener's credit for a message returns when {@code onMessage} does. */
    private static final class Receiver implements ClientCall.Listener<byte[]> {
        private final StreamTally tally;
        /** Set before the request goes out, so before any message arrives. */
        private volatile ClientCall<byte[], byte[]> call;

        Receiver(StreamTally tally) {
            this.tally = tally;
        }

        @Override
        public void onMessage(byte[] message) {
            if (!tally.accept(message)) {
                call.cancel("the harness refused a message");
            }
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
            report(status, tally);
        }
    }

    private static void report(Status status, StreamTally tally) {
        if (status.isOk()) {
            tally.endedOk();
        } else if (status.code() == StatusCode.CANCELLED) {
            tally.endedCancelled(status.toString());
        } else {
            tally.failed(status.toString(), null);
        }
    }
}
