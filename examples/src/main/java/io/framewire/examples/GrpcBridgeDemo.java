package io.framewire.examples;

import io.framewire.Address;
import io.framewire.Server;
import io.framewire.examples.greeter.GreeterGrpc;
import io.framewire.examples.greeter.HelloReply;
import io.framewire.examples.greeter.HelloRequest;
import io.framewire.grpc.FramewireChannel;
import io.framewire.grpc.GrpcGateway;
import io.framewire.grpc.GrpcServices;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The README's gRPC bridge command: one implementation of a service defined in {@code .proto}
 * ({@code src/main/protobuf/demo/greeter.proto}), written against grpc-java's generated
 * {@code GreeterImplBase}, served by one Framewire server over AF_UNIX and TCP with no gRPC server
 * ({@link GrpcServices#toService}), and as plain gRPC by a {@link GrpcGateway} in front of it. A
 * generated blocking stub then calls it three ways: through a {@link FramewireChannel} over AF_UNIX,
 * one over TCP, and through a plain gRPC channel (grpc-netty-shaded, plaintext) to the gateway. It
 * prints what each call returned, closes everything and removes its socket file's directory.
 *
 * <pre>
 * ./mvnw -q -B -Pgrpc-demo -DskipTests package
 * </pre>
 */
public final class GrpcBridgeDemo {
    private static final long CALL_TIMEOUT_SECONDS = 10;

    private GrpcBridgeDemo() {}

    /**
     * What the three calls returned, and the directory that held the server's socket file (removed
     * by the time {@link #run} returns).
     */
    record Answers(HelloReply overUnix, HelloReply overTcp, HelloReply throughGateway, Path socketDirectory) {}

    public static void main(String[] args) throws Exception {
        run(System.out);
    }

    /** Runs the demo, printing to {@code out}; everything it started is closed when it returns or throws. */
    static Answers run(PrintStream out) throws IOException, InterruptedException {
        Path directory = Files.createTempDirectory("fw-grpc-demo");
        try {
            return run(directory.resolve("greeter.sock"), out);
        } finally {
            // The server removes its socket file as it closes; this also covers a server that never started.
            Files.deleteIfExists(directory.resolve("greeter.sock"));
            Files.delete(directory);
            out.println("  removed " + directory);
        }
    }

    private static Answers run(Path socket, PrintStream out) throws InterruptedException {
        out.println("Framewire gRPC bridge demo");
        // One implementation, hosted natively on a Framewire server: no gRPC server runs for these two listeners.
        try (Server server = Server.builder()
                .listen("unix://" + socket)
                .listen("tcp://127.0.0.1:0")
                .service(GrpcServices.toService(new Greeter()))
                .build()
                .start()) {
            String unix = bound(server, "unix");
            String tcp = bound(server, "tcp");
            out.println("  one GreeterImplBase on a Framewire server at " + unix + " and " + tcp);

            // A gRPC server that forwards every call, as bytes, to the Framewire server over AF_UNIX.
            try (GrpcGateway gateway = GrpcGateway.builder(unix).bindAddress("127.0.0.1").port(0).build().start()) {
                out.println("  gRPC gateway on 127.0.0.1:" + gateway.port() + " -> " + unix);

                ManagedChannel overUnix = FramewireChannel.connect(unix);
                ManagedChannel overTcp = FramewireChannel.connect(tcp);
                ManagedChannel plainGrpc = NettyChannelBuilder.forAddress("127.0.0.1", gateway.port()).usePlaintext().build();
                try {
                    HelloReply a = call(out, "FramewireChannel over unix", overUnix);
                    HelloReply b = call(out, "FramewireChannel over tcp", overTcp);
                    HelloReply c = call(out, "plain gRPC through the gateway", plainGrpc);
                    return new Answers(a, b, c, socket.getParent());
                } finally {
                    close(plainGrpc);
                    close(overTcp);
                    close(overUnix);
                    out.println("  channels closed");
                }
            } finally {
                out.println("  gateway closed");
            }
        } finally {
            out.println("  server closed");
        }
    }

    /** One call of the generated blocking stub over {@code channel}, whatever carries it. */
    private static HelloReply call(PrintStream out, String how, Channel channel) {
        HelloReply reply = GreeterGrpc.newBlockingStub(channel)
                .withDeadlineAfter(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .sayHello(HelloRequest.newBuilder().setName(how).build());
        out.printf("  %-32s -> \"%s\" (call %d the implementation served)%n", how, reply.getMessage(), reply.getServed());
        return reply;
    }

    /** The address {@code server} bound for {@code scheme}. */
    private static String bound(Server server, String scheme) {
        return server.addresses().stream()
                .filter(a -> a.scheme().equals(scheme))
                .map(Address::toString)
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("the server has no " + scheme + " address: " + server.addresses()));
    }

    private static void close(ManagedChannel channel) throws InterruptedException {
        channel.shutdownNow();
        if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
            throw new IllegalStateException("channel did not terminate within 5 s: " + channel);
        }
    }

    /** The service, written once against grpc-java's generated base class. */
    private static final class Greeter extends GreeterGrpc.GreeterImplBase {
        private final AtomicLong served = new AtomicLong();

        @Override
        public void sayHello(HelloRequest request, StreamObserver<HelloReply> responses) {
            responses.onNext(HelloReply.newBuilder()
                    .setMessage("Hello, " + request.getName())
                    .setServed(served.incrementAndGet())
                    .build());
            responses.onCompleted();
        }
    }
}
