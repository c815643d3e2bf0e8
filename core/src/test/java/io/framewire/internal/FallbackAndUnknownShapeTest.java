package io.framewire.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.AsyncHandler;
import io.framewire.CallOptions;
import io.framewire.Client;
import io.framewire.ClientCall;
import io.framewire.Codec;
import io.framewire.MethodDescriptor;
import io.framewire.Server;
import io.framewire.ServerCall;
import io.framewire.ServerInterceptor;
import io.framewire.Service;
import io.framewire.Status;
import io.framewire.StatusException;
import io.framewire.protocol.Frame;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.MethodType;
import io.framewire.protocol.StatusCode;
import io.framewire.testing.LeakCheckExtension;
import io.framewire.testing.RawPeer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The server's fallback handler (a proxy's or gateway's: it serves every method no service registered)
 * and the CALL shape UNKNOWN (a caller that does not know the method's shape): PROTOCOL.md 3.2.
 */
@Timeout(30)
@ExtendWith(LeakCheckExtension.class)
class FallbackAndUnknownShapeTest {
    static final Codec<String> UTF8 = Codec.utf8();

    /**
     * Serves any method: {@code .../Many} echoes each request at once, prefixed with the method's name;
     * any other answers once, at the half-close, with the requests joined.
     */
    static final AsyncHandler<byte[], byte[]> FALLBACK = call -> {
        String name = call.context().methodName();
        List<String> seen = new ArrayList<>();
        return new ServerCall.Listener<>() {
            @Override
            public void onMessage(byte[] message) {
                String text = new String(message, java.nio.charset.StandardCharsets.UTF_8);
                if (name.endsWith("/Many")) {
                    call.send((name + ":" + text).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                } else {
                    seen.add(text);
                }
            }

            @Override
            public void onHalfClose() {
                if (!name.endsWith("/Many")) {
                    call.send((name + ":" + String.join(",", seen)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
                call.close(Status.OK, Metadata.EMPTY);
            }
        };
    };

    static String address() {
        return "inproc://fallback-" + UUID.randomUUID();
    }

    static <Req, Resp> List<Resp> exchange(Client client, MethodDescriptor<Req, Resp> method, List<Req> requests) {
        try (ClientCall<Req, Resp> call = client.newCall(method, CallOptions.DEFAULT)) {
            for (Req r : requests) {
                call.send(r);
            }
            call.halfClose();
            List<Resp> out = new ArrayList<>();
            call.responses().forEach(out::add);
            return out;
        }
    }

    @Test
    void theFallbackServesUnknownMethodsOfEveryShapeWithTheirNameAndInterceptorsAroundIt() {
        List<String> intercepted = new CopyOnWriteArrayList<>();
        ServerInterceptor recorder = (ctx, next) -> {
            intercepted.add(ctx.methodName());
            next.proceed();
        };
        try (Server server = Server.builder().listen(address()).fallback(FALLBACK).interceptor(recorder).build().start();
             Client client = Client.connect(server.address().toString())) {
            assertEquals("x.Unknown/One:a", client.call(MethodDescriptor.unary("x.Unknown/One", UTF8, UTF8), "a"));
            assertEquals(List.of("x.Unknown/One:a,b"),
                    exchange(client, MethodDescriptor.clientStreaming("x.Unknown/One", UTF8, UTF8), List.of("a", "b")));
            assertEquals(List.of("x.Unknown/Many:a"),
                    exchange(client, MethodDescriptor.serverStreaming("x.Unknown/Many", UTF8, UTF8), List.of("a")));
            assertEquals(List.of("y.Other/Many:a", "y.Other/Many:b"),
                    exchange(client, MethodDescriptor.bidiStreaming("y.Other/Many", UTF8, UTF8), List.of("a", "b")));
            assertEquals(List.of("y.Other/Many:c"),
                    exchange(client, MethodDescriptor.create("y.Other/Many", MethodType.UNKNOWN, UTF8, UTF8), List.of("c")));

            // A bidi call through the fallback is a real stream: a reply before the client is done.
            try (ClientCall<String, String> call = client.newCall(MethodDescriptor.bidiStreaming("z.Chat/Many", UTF8, UTF8),
                    CallOptions.DEFAULT)) {
                call.send("hi");
                assertEquals(Optional.of("z.Chat/Many:hi"), call.receive());
                call.halfClose();
                assertEquals(Optional.empty(), call.receive());
            }
            assertEquals(List.of("x.Unknown/One", "x.Unknown/One", "x.Unknown/Many", "y.Other/Many", "y.Other/Many",
                    "z.Chat/Many"), intercepted);
        }
    }

    @Test
    void anAsyncHandlerMayAskForRequestsInItsStart() {
        // gRPC's handlers ask for their first request(s) before they return their listener.
        AsyncHandler<byte[], byte[]> oneAtATime = call -> {
            call.request(1);
            return new ServerCall.Listener<>() {
                @Override
                public void onMessage(byte[] message) {
                    call.send(message);
                    call.request(1);
                }

                @Override
                public void onHalfClose() {
                    call.close(Status.OK, Metadata.EMPTY);
                }

                @Override
                public boolean autoRequest() {
                    return false;
                }
            };
        };
        try (Server server = Server.builder().listen(address()).fallback(oneAtATime).build().start();
             Client client = Client.connect(server.address().toString())) {
            assertEquals(List.of("a", "b", "c"),
                    exchange(client, MethodDescriptor.bidiStreaming("x.Paced/Many", UTF8, UTF8), List.of("a", "b", "c")));
        }
    }

    @Test
    void anAsyncSenderThatWaitsForOnReadyHearsItEveryTime() {
        // 100 messages of 64 KiB against a 256 KiB stream window: the sender is "not ready" many
        // times, and each time only onReady resumes it (it once fired only the first time).
        int total = 100;
        byte[] chunk = new byte[64 * 1024];
        AsyncHandler<byte[], byte[]> readyDriven = call -> new ServerCall.Listener<>() {
            int sent;

            @Override
            public void onMessage(byte[] message) {}

            @Override
            public void onHalfClose() {
                pump();
            }

            @Override
            public void onReady() {
                pump();
            }

            private void pump() {
                while (sent < total && call.isReady()) {
                    call.send(chunk);
                    sent++;
                }
                if (sent == total) {
                    sent++;
                    call.close(Status.OK, Metadata.EMPTY);
                }
            }
        };
        try (Server server = Server.builder().listen(address()).fallback(readyDriven).build().start();
             Client client = Client.connect(server.address().toString())) {
            List<byte[]> received = exchange(client, MethodDescriptor.serverStreaming("x.Flow/Many", Codec.bytes(),
                    Codec.bytes()), List.of(new byte[0]));
            assertEquals(total, received.size());
        }
    }

    @Test
    void registeredMethodsStillWinOverTheFallback() {
        Service svc = Service.builder("x.Known").unary(MethodDescriptor.unary("x.Known/Get", UTF8, UTF8), (r, ctx) -> "known " + r)
                .build();
        try (Server server = Server.builder().listen(address()).service(svc).fallback(FALLBACK).build().start();
             Client client = Client.connect(server.address().toString())) {
            assertEquals("known k", client.call(MethodDescriptor.unary("x.Known/Get", UTF8, UTF8), "k"));
            assertEquals("x.Known/Other:o", client.call(MethodDescriptor.unary("x.Known/Other", UTF8, UTF8), "o"));
        }
    }

    @Test
    void withoutAFallbackAnUnknownMethodIsUnimplemented() {
        try (Server server = Server.builder().listen(address()).build().start();
             Client client = Client.connect(server.address().toString())) {
            StatusException unary = assertThrows(StatusException.class,
                    () -> client.call(MethodDescriptor.unary("x.Unknown/One", UTF8, UTF8), "a"));
            assertEquals(StatusCode.UNIMPLEMENTED, unary.status().code());
            for (MethodType shape : List.of(MethodType.BIDI_STREAMING, MethodType.UNKNOWN)) {
                StatusException e = assertThrows(StatusException.class,
                        () -> exchange(client, MethodDescriptor.create("x.Unknown/Many", shape, UTF8, UTF8), List.of("a")));
                assertEquals(StatusCode.UNIMPLEMENTED, e.status().code(), shape.toString());
            }
        }
    }

    static final MethodDescriptor<String, String> UNARY = MethodDescriptor.unary("s.Shapes/Unary", UTF8, UTF8);
    static final MethodDescriptor<String, String> SERVER = MethodDescriptor.serverStreaming("s.Shapes/Server", UTF8, UTF8);
    static final MethodDescriptor<String, String> CLIENT = MethodDescriptor.clientStreaming("s.Shapes/Client", UTF8, UTF8);
    static final MethodDescriptor<String, String> BIDI = MethodDescriptor.bidiStreaming("s.Shapes/Bidi", UTF8, UTF8);

    static Server shapesServer() {
        Service svc = Service.builder("s.Shapes")
                .unary(UNARY, (r, ctx) -> "u:" + r)
                .serverStreaming(SERVER, (r, call) -> {
                    call.send("s1:" + r);
                    call.send("s2:" + r);
                })
                .clientStreaming(CLIENT, call -> {
                    StringBuilder sb = new StringBuilder("c:");
                    call.requests().forEach(sb::append);
                    return sb.toString();
                })
                .bidiStreaming(BIDI, call -> call.requests().forEach(r -> call.send("b:" + r)))
                .build();
        return Server.builder().listen(address()).service(svc).build().start();
    }

    static MethodDescriptor<String, String> unknown(MethodDescriptor<String, String> m) {
        return MethodDescriptor.create(m.fullName(), MethodType.UNKNOWN, UTF8, UTF8);
    }

    @Test
    void shapeUnknownCallsRunRegisteredMethodsWithTheirOwnShape() {
        try (Server server = shapesServer(); Client client = Client.connect(server.address().toString())) {
            assertEquals(List.of("u:a"), exchange(client, unknown(UNARY), List.of("a")));
            assertEquals(List.of("s1:a", "s2:a"), exchange(client, unknown(SERVER), List.of("a")));
            assertEquals(List.of("c:abc"), exchange(client, unknown(CLIENT), List.of("a", "b", "c")));
            assertEquals(List.of("b:a", "b:b"), exchange(client, unknown(BIDI), List.of("a", "b")));
        }
    }

    @Test
    void shapeUnknownCallsAreHeldToTheMethodsShape() {
        try (Server server = shapesServer(); Client client = Client.connect(server.address().toString())) {
            for (MethodDescriptor<String, String> m : List.of(UNARY, SERVER)) {
                StatusException twice = assertThrows(StatusException.class,
                        () -> exchange(client, unknown(m), List.of("a", "b")));
                assertEquals(StatusCode.INTERNAL, twice.status().code(), m + ": " + twice.status());
                StatusException none = assertThrows(StatusException.class, () -> exchange(client, unknown(m), List.of()));
                assertEquals(StatusCode.INTERNAL, none.status().code(), m + ": " + none.status());
            }
            // A shape named wrongly (not UNKNOWN) is still refused.
            StatusException wrong = assertThrows(StatusException.class,
                    () -> exchange(client, MethodDescriptor.bidiStreaming(UNARY.fullName(), UTF8, UTF8), List.of("a")));
            assertEquals(StatusCode.UNIMPLEMENTED, wrong.status().code());
            assertEquals("u:ok", client.call(UNARY, "ok"));
        }
    }

    @Test
    void anInvalidMethodNameUnderTheFallbackIsUnimplementedAndTheConnectionStaysUp() throws Exception {
        try (Server server = Server.builder().listen(address()).fallback(FALLBACK).build().start();
             RawPeer peer = RawPeer.connect(server.address(), null).handshake()) {
            peer.send(new Frame.Call(1, MethodType.UNKNOWN, -1, "not a method name", Metadata.EMPTY));
            Frame.Status status = null;
            while (status == null) {
                Frame f = peer.readFrame().orElseThrow(() -> new AssertionError("the server closed the connection"));
                if (f instanceof Frame.Status s && s.streamId() == 1) {
                    status = s;
                }
            }
            assertEquals(StatusCode.UNIMPLEMENTED, status.code(), status.toString());

            peer.send(new Frame.Ping(42));
            boolean pong = false;
            while (!pong) {
                Frame f = peer.readFrame().orElseThrow(() -> new AssertionError("the server closed the connection"));
                pong = f instanceof Frame.Pong p && p.payload() == 42;
            }
            assertTrue(pong);
            assertEquals(1, server.connectionCount());
        }
    }
}
