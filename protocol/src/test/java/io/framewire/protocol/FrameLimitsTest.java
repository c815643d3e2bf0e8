package io.framewire.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A frame that can be built can be encoded: texts without a bound of their own (a handler's exception
 * message) are cut, strings that travel as str16 are checked when the frame is built. An encoder that
 * threw later, on the connection's writer, once ended the connection for every call on it.
 */
class FrameLimitsTest {

    @Test
    void aStatusMessageLongerThanTheLimitIsCutAtACharacterBoundary() {
        String huge = "é".repeat(100_000); // 200,000 bytes of UTF-8
        Frame.Status s = new Frame.Status(1, StatusCode.INTERNAL, huge, Metadata.EMPTY);
        byte[] bytes = s.message().getBytes(StandardCharsets.UTF_8);
        assertTrue(bytes.length <= FrameLayout.MAX_STATUS_MESSAGE_BYTES, bytes.length + " bytes");
        assertTrue(bytes.length >= FrameLayout.MAX_STATUS_MESSAGE_BYTES - 1, bytes.length + " bytes");
        assertTrue(huge.startsWith(s.message()));
        assertEquals(s, roundTrip(s));
    }

    @Test
    void cancelAckAndSubscriptionEndMessagesAreCutLikeAStatus() {
        String huge = "x".repeat(70_000);
        assertEquals(FrameLayout.MAX_STATUS_MESSAGE_BYTES, new Frame.Cancel(1, StatusCode.CANCELLED, huge).message().length());
        assertEquals(FrameLayout.MAX_STATUS_MESSAGE_BYTES, new Frame.Ack(1, StatusCode.OK, huge).message().length());
        assertEquals(FrameLayout.MAX_STATUS_MESSAGE_BYTES,
                new Frame.SubscriptionEnd(1, StatusCode.OK, huge).message().length());
    }

    @Test
    void aMethodNameOfTheLargestStr16IsFineAndOneByteMoreIsRefusedWhenBuilt() {
        String largest = "a".repeat(FrameLayout.MAX_STR16_BYTES);
        Frame.Call ok = new Frame.Call(1, MethodType.UNARY, -1, largest, Metadata.EMPTY);
        assertEquals(ok, roundTrip(ok));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Frame.Call(1, MethodType.UNARY, -1, largest + "a", Metadata.EMPTY));
        assertTrue(e.getMessage().contains("65536") && e.getMessage().contains("65535"), e.getMessage());
    }

    @Test
    void multiByteCharactersCountInBytes() {
        String threeBytesEach = "€".repeat(FrameLayout.MAX_STR16_BYTES / 3 + 1);
        assertThrows(IllegalArgumentException.class, () -> new Frame.Publish(0, threeBytesEach, "", Metadata.EMPTY, new byte[0]));
        assertThrows(IllegalArgumentException.class,
                () -> new Frame.Subscribe(1, "a", threeBytesEach, OverflowPolicy.BLOCK, 1, 1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> TopicMessage.of("a", threeBytesEach, Metadata.EMPTY, new byte[0]));
    }

    @Test
    void publishCreditIsOnStreamZeroOnly() {
        assertThrows(IllegalArgumentException.class, () -> new Frame.Credit(Frame.Credit.Kind.PUBLISH, 3, 1));
        assertThrows(IllegalArgumentException.class, () -> new Frame.Credit(Frame.Credit.Kind.SUBSCRIPTION, 0, 1));
        assertEquals(FrameLayout.FLAG_PUBLISH_CREDIT, Frame.Credit.publish(5).flags());
    }

    private static Frame roundTrip(Frame f) {
        List<Frame> out = new ArrayList<>();
        FrameDecoder.afterHandshake(16 << 20).decode(ByteBuffer.wrap(FrameEncoder.encode(f)), out::add);
        assertEquals(1, out.size());
        return out.get(0);
    }
}
