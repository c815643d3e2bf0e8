package io.framewire.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.framewire.CallOptions;
import io.framewire.Client;
import io.framewire.ClientCall;
import io.framewire.ServerCall;
import io.framewire.Server;
import io.framewire.Status;
import io.framewire.protocol.Metadata;
import io.framewire.testing.LeakCheckExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.ArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the proxy relies on in core: an async handler that asks for its first requests in
 * {@code start}, before its listener is installed (as gRPC's startCall does), gets them.
 */
@Timeout(30)
@ExtendWith(LeakCheckExtension.class)
class EarlyRequestTest {
    @TempDir
    Path dir;

    @Test
    void requestInStartIsKeptUntilTheListenerIsInstalled() {
        try (Server server = Server.builder().listen(TestMethods.framewireAddress("unix", dir)).fallback(call -> {
                call.request(2); // before the listener below exists
                return new ServerCall.Listener<>() {
                    @Override
                    public boolean autoRequest() {
                        return false;
                    }

                    @Override
                    public void onMessage(byte[] message) {
                        call.send(message);
                    }

                    @Override
                    public void onHalfClose() {
                        call.close(Status.OK, Metadata.EMPTY);
                    }
                };
            }).build().start();
             Client client = Client.connect(server.address().toString());
             ClientCall<String, String> call = client.newCall(TestMethods.F_CHAT, CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(10)))) {
            call.send("one");
            call.sendLast("two");
            List<String> echoed = new ArrayList<>();
            call.responses().forEach(echoed::add);
            assertEquals(List.of("one", "two"), echoed);
        }
    }
}
