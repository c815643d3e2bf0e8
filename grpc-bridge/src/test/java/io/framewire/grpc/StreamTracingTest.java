package io.framewire.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.framewire.Client;
import io.framewire.Server;
import io.grpc.CallOptions;
import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** FramewireChannel reports each call to the stream tracers in its CallOptions, as gRPC's transports do. */
@Timeout(30)
class StreamTracingTest {

    @Test
    void aCallOverFramewireChannelIsReportedToTheCallsStreamTracers() {
        List<String> events = new CopyOnWriteArrayList<>();
        ClientStreamTracer.Factory factory = new ClientStreamTracer.Factory() {
            @Override
            public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
                return new ClientStreamTracer() {
                    @Override
                    public void outboundHeaders() {
                        events.add("outboundHeaders");
                    }

                    @Override
                    public void outboundMessage(int seqNo) {
                        events.add("outboundMessage " + seqNo);
                    }

                    @Override
                    public void inboundMessage(int seqNo) {
                        events.add("inboundMessage " + seqNo);
                    }

                    @Override
                    public void streamClosed(Status status) {
                        events.add("streamClosed " + status.getCode());
                    }
                };
            }
        };
        try (Server server = Server.builder().listen("inproc://stream-tracing")
                .service(io.framewire.Service.builder("t.Echo")
                        .unary(io.framewire.MethodDescriptor.unary("t.Echo/Echo", io.framewire.Codec.bytes(), io.framewire.Codec.bytes()),
                                (req, ctx) -> req)
                        .build())
                .build().start();
             Client client = Client.connect("inproc://stream-tracing")) {
            FramewireChannel channel = FramewireChannel.over(client);
            io.grpc.MethodDescriptor<byte[], byte[]> echo = PassThrough.grpcMethod("t.Echo/Echo");
            byte[] answer = ClientCalls.blockingUnaryCall(channel, echo,
                    CallOptions.DEFAULT.withStreamTracerFactory(factory), new byte[] {7});
            assertEquals(1, answer.length);
            assertEquals(List.of("outboundHeaders", "outboundMessage 0", "inboundMessage 0", "streamClosed OK"), events);
            channel.shutdownNow();
        }
    }

    @Test
    void theTracersHearEachMessagesSerializedSize() {
        List<String> sizes = new CopyOnWriteArrayList<>();
        ClientStreamTracer.Factory factory = new ClientStreamTracer.Factory() {
            @Override
            public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
                return new ClientStreamTracer() {
                    @Override
                    public void outboundWireSize(long bytes) {
                        sizes.add("outboundWireSize " + bytes);
                    }

                    @Override
                    public void outboundUncompressedSize(long bytes) {
                        sizes.add("outboundUncompressedSize " + bytes);
                    }

                    @Override
                    public void outboundMessageSent(int seqNo, long wireSize, long uncompressedSize) {
                        sizes.add("outboundMessageSent " + seqNo + " " + wireSize + " " + uncompressedSize);
                    }

                    @Override
                    public void inboundWireSize(long bytes) {
                        sizes.add("inboundWireSize " + bytes);
                    }

                    @Override
                    public void inboundUncompressedSize(long bytes) {
                        sizes.add("inboundUncompressedSize " + bytes);
                    }

                    @Override
                    public void inboundMessageRead(int seqNo, long wireSize, long uncompressedSize) {
                        sizes.add("inboundMessageRead " + seqNo + " " + wireSize + " " + uncompressedSize);
                    }
                };
            }
        };
        try (Server server = Server.builder().listen("inproc://stream-tracing-sizes")
                .service(io.framewire.Service.builder("t.Echo")
                        .unary(io.framewire.MethodDescriptor.unary("t.Echo/Double", io.framewire.Codec.bytes(), io.framewire.Codec.bytes()),
                                (req, ctx) -> new byte[2 * req.length])
                        .build())
                .build().start();
             Client client = Client.connect("inproc://stream-tracing-sizes")) {
            FramewireChannel channel = FramewireChannel.over(client);
            byte[] answer = ClientCalls.blockingUnaryCall(channel, PassThrough.grpcMethod("t.Echo/Double"),
                    CallOptions.DEFAULT.withStreamTracerFactory(factory), new byte[3]);
            assertEquals(6, answer.length);
            assertEquals(List.of("outboundWireSize 3", "outboundUncompressedSize 3", "outboundMessageSent 0 3 3",
                    "inboundWireSize 6", "inboundUncompressedSize 6", "inboundMessageRead 0 6 6"), sizes);
            channel.shutdownNow();
        }
    }
}
