package io.framewire.protocol;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** The three ways every decoder test feeds its input: whole, one byte at a time, and in random splits. */
enum Feeding {
    WHOLE,
    BYTE_AT_A_TIME,
    RANDOM_SPLITS;

    /** Feeds {@code bytes} and returns the frames decoded; a random split is reproducible from {@code seed}. */
    List<Frame> feed(FrameDecoder decoder, byte[] bytes, long seed) {
        List<Frame> out = new ArrayList<>();
        switch (this) {
            case WHOLE -> decoder.decode(ByteBuffer.wrap(bytes), out::add);
            case BYTE_AT_A_TIME -> {
                for (byte b : bytes) {
                    decoder.decode(ByteBuffer.wrap(new byte[] {b}), out::add);
                }
            }
            case RANDOM_SPLITS -> {
                Random r = new Random(seed);
                int i = 0;
                while (i < bytes.length) {
                    int n = Math.min(bytes.length - i, 1 + r.nextInt(Math.max(1, Math.min(64, bytes.length))));
                    // A slice at a non-zero offset, as a real read buffer would be.
                    decoder.decode(ByteBuffer.wrap(bytes, i, n).slice(), out::add);
                    i += n;
                }
            }
        }
        return out;
    }
}
