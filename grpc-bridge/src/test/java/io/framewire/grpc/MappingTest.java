package io.framewire.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.Status;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.StatusCode;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class MappingTest {

    @Test
    void aStatusCauseIsNeverSentOnAsItsDescription() {
        Status s = Mapping.fromGrpc(io.grpc.Status.UNKNOWN.withCause(new RuntimeException("secret")));
        assertEquals(StatusCode.UNKNOWN, s.code());
        assertEquals("", s.description());
    }

    @Test
    void everyStatusCodeMapsToTheSameCodeBothWays() {
        for (io.grpc.Status.Code code : io.grpc.Status.Code.values()) {
            io.grpc.Status back = Mapping.toGrpc(Mapping.fromGrpc(code.toStatus().withDescription("d " + code)));
            assertEquals(code, back.getCode());
            assertEquals("d " + code, back.getDescription());
        }
    }

    @Test
    void metadataKeepsAsciiAndBinaryEntriesInOrderAndDropsReservedHeaders() {
        io.grpc.Metadata grpc = new io.grpc.Metadata();
        io.grpc.Metadata.Key<String> ascii = io.grpc.Metadata.Key.of("x-a", io.grpc.Metadata.ASCII_STRING_MARSHALLER);
        io.grpc.Metadata.Key<byte[]> binary = io.grpc.Metadata.Key.of("x-b-bin", io.grpc.Metadata.BINARY_BYTE_MARSHALLER);
        grpc.put(ascii, "one");
        grpc.put(ascii, "two");
        grpc.put(binary, new byte[] {0, (byte) 0xff});
        for (String reserved : List.of("grpc-timeout", "grpc-encoding", "content-type", "te", "user-agent", "fw-x")) {
            grpc.put(io.grpc.Metadata.Key.of(reserved, io.grpc.Metadata.ASCII_STRING_MARSHALLER), "v");
        }

        Metadata fw = Mapping.fromGrpc(grpc);
        assertEquals(List.of("one", "two"), fw.getAll("x-a"));
        assertArrayEquals(new byte[] {0, (byte) 0xff}, fw.getBinary("x-b-bin").orElseThrow());
        assertEquals(3, fw.size(), fw::toString);

        io.grpc.Metadata back = Mapping.toGrpc(fw.toBuilder().put("user-agent", "u").build());
        assertEquals(List.of("one", "two"), iterable(back.getAll(ascii)));
        assertArrayEquals(new byte[] {0, (byte) 0xff}, back.get(binary));
        assertTrue(back.keys().stream().noneMatch(Mapping::reserved), back::toString);
    }

    private static List<String> iterable(Iterable<String> values) {
        List<String> out = new java.util.ArrayList<>();
        values.forEach(out::add);
        return out;
    }
}
