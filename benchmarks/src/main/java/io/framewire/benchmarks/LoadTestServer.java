package io.framewire.benchmarks;

import io.framewire.Codec;
import io.framewire.MethodDescriptor;
import io.framewire.Server;
import io.framewire.Service;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The load test's server ({@link LoadTest}), in a JVM of its own with a small heap. Argument: the
 * endpoint ({@code tcp:0}). It serves the benchmark's unary echo ({@link FramewireEcho#ECHO}) and
 * flood ({@link FramewireFlood}), a bidirectional echo ({@link #BIDI_ECHO}: every request back as it
 * comes, until the client half-closes), and {@link #READING}: full collections, then the heap in use,
 * so the driver can watch for leaks over the protocol. Pub/sub is the broker every server has.
 */
public final class LoadTestServer {
    static final MethodDescriptor<byte[], byte[]> BIDI_ECHO =
            MethodDescriptor.bidiStreaming("load.Echo/Bidi", Codec.bytes(), Codec.bytes());

    /** Request ignored (send an empty array); runs {@code System.gc()} and answers a {@link ServerReading}. */
    static final MethodDescriptor<byte[], ServerReading> READING =
            MethodDescriptor.unary("load.Admin/HeapAfterGc", Codec.bytes(), ServerReading.CODEC);

    private LoadTestServer() {}

    public static void main(String[] args) {
        if (args.length != 1 || !(Endpoint.parse(args[0]) instanceof Endpoint.Tcp tcp)) {
            throw new IllegalArgumentException("usage: LoadTestServer <tcp:PORT>");
        }
        AtomicReference<Server> self = new AtomicReference<>();
        Service echo = Service.builder("bench.Echo")
                .unary(FramewireEcho.ECHO, (request, ctx) -> request)
                .build();
        Service bidi = Service.builder("load.Echo")
                .bidiStreaming(BIDI_ECHO, call -> {
                    for (byte[] request : call.requests()) {
                        call.send(request);
                    }
                })
                .build();
        Service admin = Service.builder("load.Admin")
                .unary(READING, (request, ctx) -> ServerReading.afterFullGc(self.get().connectionCount()))
                .build();
        Server server = Server.builder()
                .listen(FramewireEcho.address(tcp))
                .service(echo)
                .service(FramewireFlood.service())
                .service(bidi)
                .service(admin)
                .build();
        self.set(server);
        server.start();
        ChildServer.announceAndServe(FramewireEcho.endpoint(server.address()));
    }
}
