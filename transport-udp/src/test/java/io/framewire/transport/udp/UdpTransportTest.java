package io.framewire.transport.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.framewire.CallOptions;
import io.framewire.Client;
import io.framewire.Codec;
import io.framewire.MethodDescriptor;
import io.framewire.Server;
import io.framewire.Service;
import io.framewire.Status;
import io.framewire.StatusException;
import io.framewire.protocol.StatusCode;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** udp:// end to end on loopback: calls, errors, and what the transport refuses. */
@Timeout(20)
class UdpTransportTest {
    static final MethodDescriptor<String, String> ECHO = MethodDescriptor.unary("test.Echo/Echo", Codec.utf8(), Codec.utf8());

    static Service echo() {
        return Service.builder("test.Echo").unary(ECHO, (s, ctx) -> {
            if (s.startsWith("fail:")) {
                throw Status.of(StatusCode.NOT_FOUND, s.substring(5)).asException();
            }
            return s;
        }).build();
    }

    @Test
    void aUnaryCallRoundTripsAndAnErrorStatusComesBack() {
        try (Server server = Server.builder().listen("udp://127.0.0.1:0").service(echo()).build().start();
             Client client = Client.connect(server.address().toString())) {
            assertEquals("hi", client.call(ECHO, "hi", CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(5))));
            StatusException e = assertThrows(StatusException.class,
                    () -> client.call(ECHO, "fail:nope", CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(5))));
            assertEquals(StatusCode.NOT_FOUND, e.status().code());
            assertEquals("nope", e.status().description());
        }
    }
}
