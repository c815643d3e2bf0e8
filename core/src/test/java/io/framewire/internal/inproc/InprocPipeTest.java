package io.framewire.internal.inproc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The in-process pipe's write without waiting, which a connection's reader uses. */
@Timeout(10)
class InprocPipeTest {

    @Test
    void aTryWriteTakesWhatFitsAndNeverWaits() throws IOException {
        InprocPipe pipe = new InprocPipe(8);
        ByteBuffer src = ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
        assertEquals(8, pipe.tryWrite(src), "as much as the pipe holds");
        assertEquals(3, src.remaining());
        assertEquals(0, pipe.tryWrite(src), "a full pipe takes nothing, at once");

        ByteBuffer dst = ByteBuffer.allocate(5);
        assertEquals(5, pipe.read(dst));
        assertEquals(3, pipe.tryWrite(src), "room again, across the ring's end");
        ByteBuffer rest = ByteBuffer.allocate(16);
        assertEquals(6, pipe.read(rest));
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, dst.array());
        assertArrayEquals(new byte[] {6, 7, 8, 9, 10, 11}, java.util.Arrays.copyOf(rest.array(), 6));
    }

    @Test
    void aTryWriteOnAClosedPipeFails() {
        InprocPipe pipe = new InprocPipe(8);
        pipe.closeReader();
        assertThrows(IOException.class, () -> pipe.tryWrite(ByteBuffer.wrap(new byte[] {1})));
    }
}
