package io.framewire.benchmarks;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/** gRPC-Java's echo server: Netty (shaded), plaintext, every other setting at its default. */
public final class GrpcEchoServer {
    private GrpcEchoServer() {}

    public static void main(String[] args) throws IOException {
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .addService(GrpcEcho.service())
                .build()
                .start();
        ChildServer.announceAndServe(server.getPort());
    }
}
