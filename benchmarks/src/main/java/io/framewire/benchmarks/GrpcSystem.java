package io.framewire.benchmarks;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.net.InetAddress;
import java.util.concurrent.TimeUnit;

/**
 * gRPC-Java, the anchor: Netty transport, plaintext, default executors (no directExecutor) on both
 * sides. Blocking calls through one channel, which holds one HTTP/2 connection.
 */
final class GrpcSystem implements EchoSystem {

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
        ManagedChannel channel = NettyChannelBuilder
                .forAddress(InetAddress.getLoopbackAddress().getHostAddress(), port)
                .usePlaintext()
                .build();
        return new GrpcEchoClient(channel);
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
            channel.shutdownNow();
            try {
                channel.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
