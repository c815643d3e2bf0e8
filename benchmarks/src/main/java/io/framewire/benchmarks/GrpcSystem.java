package io.framewire.benchmarks;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * gRPC-Java, the anchor: Netty transport, plaintext, default executors (no directExecutor) on both
 * sides. Blocking calls through one channel, which holds one HTTP/2 connection; the streaming
 * scenario's streams through a channel of their own ({@link GrpcStreamClient}).
 */
final class GrpcSystem implements EchoSystem {
    private final int requestAhead;

    /** @param requestAhead messages the manual-flow-control streaming client keeps requested per stream */
    GrpcSystem(int requestAhead) {
        this.requestAhead = requestAhead;
    }

    @Override
    public String name() {
        return "grpc";
    }

    @Override
    public Class<?> serverMain() {
        return GrpcEchoServer.class;
    }

    @Override
    public EchoClient connect(int port) {
        return new GrpcEchoClient(channel(port));
    }

    @Override
    public List<StreamingVariant> streamingVariants() {
        return List.of(
                new StreamingVariant("grpc stub",
                        "ClientCalls.asyncServerStreamingCall, the stub's auto-request (one message at a time), default executor",
                        port -> new GrpcStreamClient(channel(port), 0)),
                new StreamingVariant("grpc ahead " + requestAhead,
                        "the same with a ClientResponseObserver: auto-request off, " + requestAhead
                                + " messages kept requested (one more per message consumed)",
                        port -> new GrpcStreamClient(channel(port), requestAhead)));
    }

    private static ManagedChannel channel(int port) {
        return NettyChannelBuilder
                .forAddress(InetAddress.getLoopbackAddress().getHostAddress(), port)
                .usePlaintext()
                .build();
    }

    /** Shuts the channel down now and waits up to five seconds for it to terminate. */
    static void shutDown(ManagedChannel channel) {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String describe() {
        return "grpc-netty-shaded " + NettyChannelBuilder.class.getPackage().getImplementationVersion()
                + ", plaintext, default executors, ClientCalls.blockingUnaryCall, byte[] marshaller";
    }

    private record GrpcEchoClient(ManagedChannel channel) implements EchoClient {
        @Override
        public byte[] echo(byte[] payload) {
            return ClientCalls.blockingUnaryCall(channel, GrpcEcho.ECHO, CallOptions.DEFAULT, payload);
        }

        @Override
        public void close() {
            shutDown(channel);
        }
    }
}
