package io.framewire.benchmarks;

import io.framewire.Codec;
import io.framewire.MethodDescriptor;
import io.framewire.Service;

/**
 * The Framewire streaming method, shared by {@link FramewireEchoServer} and the streaming clients
 * ({@link FramewireStreamClients}): one {@link FloodRequest} in, its messages out.
 */
final class FramewireFlood {
    static final MethodDescriptor<byte[], byte[]> FLOOD =
            MethodDescriptor.serverStreaming("bench.Stream/Flood", Codec.bytes(), Codec.bytes());

    private FramewireFlood() {}

    /**
     * The service: a blocking handler on a virtual thread per call. {@code call.send} waits while the
     * client's window is full, so the server holds at most a window's worth of messages per stream,
     * and throws {@code StatusException} once the client cancels, which ends the loop and the call.
     */
    static Service service() {
        return Service.builder("bench.Stream")
                .serverStreaming(FLOOD, (request, call) -> {
                    FloodRequest flood = FloodRequest.decode(request);
                    for (long sequence = 0; sequence < flood.count(); sequence++) {
                        call.send(SequencedMessage.of(sequence, flood.size()));
                    }
                })
                .build();
    }
}
