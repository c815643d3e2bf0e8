package io.framewire.protocol;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Turns a byte stream into frames, accepting the bytes split in any way: one call may hold part of
 * a frame or several frames ({@code PROTOCOL.md} section 1).
 *
 * <p>The decoder is a small state machine, one method per state:
 * <pre>
 *   AWAIT_HELLO --10 bytes: an ERROR (the peer refuses)--> PAYLOAD --ERROR--> HEADER
 *               --14 bytes: magic, type, length ok--> PAYLOAD --HELLO--> HEADER
 *   HEADER --10 bytes--> PAYLOAD (or MESSAGE_PREFIX for a first MESSAGE fragment, or SKIP for an
 *                        unknown extension type) --frame--> HEADER
 *   any state --violation--> FAILED (every later call throws)
 * </pre>
 *
 * <p>Limits are checked at the earliest byte that can break them: the length as soon as its four
 * bytes have arrived and before any payload is allocated, the type as soon as its byte has arrived,
 * and the HELLO's magic before its length is trusted.
 *
 * <p>Memory follows the bytes that have arrived, never a declared length: a payload's array starts
 * as large as what the current input holds of it and grows (doubling) as more arrives, so a peer that
 * announces a 16 MiB frame and sends ten bytes of it costs ten bytes, not 16 MiB. {@link #heldBytes()}
 * tells what the decoder holds for the frame in progress, for a receiver that accounts memory.
 *
 * <p>Not thread-safe: one reader thread owns a decoder.
 */
public final class FrameDecoder {

    /** Receives decoded frames, on the thread that called {@link #decode}. */
    @FunctionalInterface
    public interface FrameHandler {
        void onFrame(Frame frame);
    }

    private static final int SCRATCH_BYTES = 1024;
    /** The smallest array a payload too large for the scratch buffer starts with. */
    static final int MIN_GROWN_BYTES = 4096;

    private enum State { AWAIT_HELLO, HEADER, MESSAGE_PREFIX, PAYLOAD, SKIP, FAILED }

    private final byte[] header = new byte[FrameLayout.HELLO_PREFIX_LENGTH];
    private int maxFrameLength;
    private State state;
    private int headerFill;

    // The frame being read.
    private int length;
    private int type;
    private int flags;
    private int streamId;
    private int messageLength;
    private byte[] payload;
    /** The payload's size: {@code payload} may be the longer {@link #scratch}. */
    private int payloadLength;
    private int payloadFill;
    /**
     * Reused for payloads that the parser copies out of (every type but MESSAGE, whose frame keeps its
     * array), so a stream of small frames such as deliveries allocates no payload array each.
     */
    private final byte[] scratch = new byte[SCRATCH_BYTES];
    /** Recent short strings (topics, reply-to subjects), decoded once per connection rather than per frame. */
    private final FrameParser.Strings strings = new FrameParser.Strings();
    private int skipRemaining;

    /** Bytes consumed so far, for error messages that point at the offending byte. */
    private long position;
    private long frameStart;

    private FrameDecoder(int maxFrameLength, boolean expectHello) {
        maxFrameLength(maxFrameLength);
        this.state = expectHello ? State.AWAIT_HELLO : State.HEADER;
    }

    /** A decoder for a new connection: the first frame must be a HELLO. */
    public static FrameDecoder forConnection(int maxFrameLength) {
        return new FrameDecoder(maxFrameLength, true);
    }

    /** A decoder past the handshake, for tests and tools that look at frames without a HELLO. */
    public static FrameDecoder afterHandshake(int maxFrameLength) {
        return new FrameDecoder(maxFrameLength, false);
    }

    /** Changes the largest Length accepted from the next frame on. */
    public void maxFrameLength(int maxFrameLength) {
        if (maxFrameLength < FrameLayout.MIN_LENGTH) {
            throw new IllegalArgumentException("maxFrameLength must be at least " + FrameLayout.MIN_LENGTH);
        }
        this.maxFrameLength = maxFrameLength;
    }

    /** Whether the first HELLO is still awaited (not a single frame decoded yet). */
    public boolean awaitingHello() {
        return state == State.AWAIT_HELLO;
    }

    /**
     * Bytes of memory the decoder holds for the frame in progress (the payload array it grows as
     * bytes arrive), beyond its fixed buffers; 0 between frames.
     */
    public int heldBytes() {
        byte[] p = payload;
        return p == null || p == scratch ? 0 : p.length;
    }

    /**
     * The payload length (Length - 6) of the frame being handed to the handler: valid inside
     * {@link FrameHandler#onFrame}, for a receiver that counts a frame's bytes (PUBLISH credit) without
     * encoding it again.
     */
    public int currentPayloadLength() {
        return length - FrameLayout.MIN_LENGTH;
    }

    /** Whether the decoder is between frames, holding no partial frame. */
    public boolean atFrameBoundary() {
        return (state == State.HEADER || state == State.AWAIT_HELLO) && headerFill == 0;
    }

    /**
     * Consumes every remaining byte of {@code in}, handing each complete frame to {@code handler}.
     *
     * @throws ProtocolException at the first violation; the decoder is then unusable
     */
    public void decode(ByteBuffer in, FrameHandler handler) {
        try {
            while (in.hasRemaining()) {
                switch (state) {
                    case AWAIT_HELLO -> readHelloPrefix(in, handler);
                    case HEADER -> readHeader(in, handler);
                    case MESSAGE_PREFIX -> readMessagePrefix(in, handler);
                    case PAYLOAD -> readPayload(in, handler);
                    case SKIP -> skip(in);
                    case FAILED -> throw new IllegalStateException("decoder failed earlier; discard the connection");
                }
            }
        } catch (ProtocolException e) {
            fail();
            throw e;
        }
    }

    /**
     * The peer closed its side. Returns quietly at a frame boundary.
     *
     * @throws ProtocolException {@link ErrorCode#TRUNCATED_FRAME} in the middle of a frame
     */
    public void endOfInput() {
        if (state == State.FAILED || atFrameBoundary()) {
            return;
        }
        long got = position - frameStart;
        String what = state == State.AWAIT_HELLO ? "during the handshake, after " + got + " bytes of the HELLO"
                : "in the middle of a frame: got " + got + " of " + expectedTotal() + " bytes";
        fail();
        throw new ProtocolException(ErrorCode.TRUNCATED_FRAME, "peer closed the connection " + what);
    }

    private String expectedTotal() {
        if (state == State.HEADER || state == State.AWAIT_HELLO) {
            // The length field of this frame may be complete while the rest of its header is not.
            return headerFill < FrameLayout.LENGTH_LENGTH ? "at least " + FrameLayout.HEADER_LENGTH
                    : String.valueOf(FrameLayout.LENGTH_LENGTH + Integer.toUnsignedLong(getInt(header, FrameLayout.LENGTH_OFFSET)));
        }
        return String.valueOf(FrameLayout.LENGTH_LENGTH + Integer.toUnsignedLong(length));
    }

    // --- states ---

    private void readHelloPrefix(ByteBuffer in, FrameHandler handler) {
        if (headerFill < FrameLayout.HEADER_LENGTH) {
            if (!fillHeader(in, FrameLayout.HEADER_LENGTH)) {
                return;
            }
            if (isRefusal()) {
                // The peer refuses the connection with an ERROR in place of its HELLO.
                readFixedHeaderFields();
                messageLength = -1;
                startPayload(length - FrameLayout.MIN_LENGTH, in.remaining());
                if (payloadLength == 0) {
                    emit(handler);
                }
                return;
            }
        }
        if (!fillHeader(in, FrameLayout.HELLO_PREFIX_LENGTH)) {
            return;
        }
        int magic = getInt(header, FrameLayout.HEADER_LENGTH);
        if (magic != FrameLayout.MAGIC) {
            throw new ProtocolException(ErrorCode.BAD_MAGIC, "not a Framewire peer: expected a HELLO with magic "
                    + "46 57 49 52 (\"FWIR\") but the connection starts with " + hex(header, FrameLayout.HELLO_PREFIX_LENGTH));
        }
        readFixedHeaderFields();
        if (type != FrameType.HELLO.code()) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "the first frame must be a HELLO (type 0x01), got type 0x"
                    + Integer.toHexString(type));
        }
        if (streamId != 0) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "HELLO must be on stream 0, got " + streamId);
        }
        if (length < 0 || length > FrameLayout.HELLO_MAX_LENGTH) {
            throw new ProtocolException(ErrorCode.FRAME_TOO_LARGE, "HELLO length " + Integer.toUnsignedString(length)
                    + " exceeds the limit of " + FrameLayout.HELLO_MAX_LENGTH);
        }
        if (length < FrameLayout.MIN_LENGTH + FrameLayout.HELLO_FIXED_PAYLOAD_LENGTH) {
            throw new ProtocolException(ErrorCode.MALFORMED_FRAME, "HELLO length " + length + " is too short for magic "
                    + "and versions (" + (FrameLayout.MIN_LENGTH + FrameLayout.HELLO_FIXED_PAYLOAD_LENGTH) + ")");
        }
        // The magic is consumed; the rest of the payload follows.
        startPayload(length - FrameLayout.MIN_LENGTH - FrameLayout.MAGIC_LENGTH, in.remaining());
    }

    /**
     * Whether the first ten bytes are an ERROR frame on stream 0 no longer than a HELLO may be: a
     * peer's refusal, which PROTOCOL.md section 2 allows in place of its HELLO.
     */
    private boolean isRefusal() {
        int len = getInt(header, FrameLayout.LENGTH_OFFSET);
        return (header[FrameLayout.TYPE_OFFSET] & 0xFF) == FrameType.ERROR.code()
                && (getInt(header, FrameLayout.STREAM_ID_OFFSET) & FrameLayout.STREAM_ID_MASK) == 0
                && len >= FrameLayout.MIN_LENGTH && len <= FrameLayout.HELLO_MAX_LENGTH;
    }

    private void readHeader(ByteBuffer in, FrameHandler handler) {
        if (headerFill == 0 && in.remaining() >= FrameLayout.HEADER_LENGTH) {
            // The common case: the whole header has arrived. One copy, then the same checks in the same order.
            frameStart = position;
            in.get(header, 0, FrameLayout.HEADER_LENGTH);
            headerFill = FrameLayout.HEADER_LENGTH;
            position += FrameLayout.HEADER_LENGTH;
            checkLength(getInt(header, FrameLayout.LENGTH_OFFSET));
            checkType(header[FrameLayout.TYPE_OFFSET] & 0xFF);
        } else if (!fillHeaderInPieces(in)) {
            return;
        }
        readFixedHeaderFields();
        // Kept small and the rare cases out of line: this runs once per frame on every reader.
        if (type == FrameType.MESSAGE.code()) {
            if ((flags & FrameLayout.FLAG_FIRST) != 0) {
                if (length < FrameLayout.MIN_LENGTH + FrameLayout.MESSAGE_LENGTH_PREFIX) {
                    throw shortFirstFragment();
                }
                state = State.MESSAGE_PREFIX;
                return;
            }
            if (length == FrameLayout.MIN_LENGTH) {
                throw emptyContinuation();
            }
        } else if (FrameType.orNull(type) == null) {
            skipExtension();
            return;
        }
        messageLength = -1;
        startPayload(length - FrameLayout.MIN_LENGTH, in.remaining());
        if (payloadLength == 0) {
            emit(handler);
        }
    }

    /**
     * Fills the header from input that holds only part of it: checks the length as soon as it is
     * complete, and the type as soon as it has arrived. Returns whether the header is whole.
     */
    private boolean fillHeaderInPieces(ByteBuffer in) {
        if (headerFill == 0) {
            frameStart = position;
        }
        if (headerFill < FrameLayout.LENGTH_LENGTH) {
            if (!fillHeader(in, FrameLayout.LENGTH_LENGTH)) {
                return false;
            }
            checkLength(getInt(header, FrameLayout.LENGTH_OFFSET));
        }
        if (headerFill <= FrameLayout.TYPE_OFFSET) {
            if (!fillHeader(in, FrameLayout.TYPE_OFFSET + 1)) {
                return false;
            }
            checkType(header[FrameLayout.TYPE_OFFSET] & 0xFF);
        }
        return fillHeader(in, FrameLayout.HEADER_LENGTH);
    }

    /** An extension type (checkType let it through): skip its payload without buffering it. */
    private void skipExtension() {
        skipRemaining = length - FrameLayout.MIN_LENGTH;
        headerFill = 0;
        state = skipRemaining == 0 ? State.HEADER : State.SKIP;
    }

    private ProtocolException shortFirstFragment() {
        return new ProtocolException(ErrorCode.MALFORMED_FRAME, "first MESSAGE fragment on stream " + streamId
                + " has length " + length + ", too short for its 4-byte message length");
    }

    /**
     * An empty MESSAGE continuation costs the receiver work and carries nothing: a flood of them is an
     * attack (as empty HTTP/2 DATA frames were, CVE-2019-9518).
     */
    private ProtocolException emptyContinuation() {
        return new ProtocolException(ErrorCode.PROTOCOL_ERROR, "an empty MESSAGE continuation on stream " + streamId
                + " (at byte " + frameStart + ")");
    }

    private void readMessagePrefix(ByteBuffer in, FrameHandler handler) {
        if (!fillHeader(in, FrameLayout.HEADER_LENGTH + FrameLayout.MESSAGE_LENGTH_PREFIX)) {
            return;
        }
        messageLength = getInt(header, FrameLayout.HEADER_LENGTH);
        int fragment = length - FrameLayout.MIN_LENGTH - FrameLayout.MESSAGE_LENGTH_PREFIX;
        if (messageLength < 0) {
            throw new ProtocolException(ErrorCode.MALFORMED_FRAME, "MESSAGE on stream " + streamId + " announces "
                    + Integer.toUnsignedString(messageLength) + " bytes, above the protocol maximum of 2^31-1");
        }
        if (fragment > messageLength) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "MESSAGE on stream " + streamId + " announces "
                    + messageLength + " bytes but its first fragment holds " + fragment);
        }
        startPayload(fragment, in.remaining());
        if (payloadLength == 0) {
            emit(handler);
        }
    }

    private void readPayload(ByteBuffer in, FrameHandler handler) {
        int n = Math.min(in.remaining(), payloadLength - payloadFill);
        if (payloadFill + n > payload.length) {
            grow(n);
        }
        in.get(payload, payloadFill, n);
        payloadFill += n;
        position += n;
        if (payloadFill == payloadLength) {
            emit(handler);
        }
    }

    /** Grows the payload array for {@code n} more bytes: doubles, or takes what the input holds if that is more. */
    private void grow(int n) {
        int grown = (int) Math.min(payloadLength, Math.max(2L * payload.length, (long) payloadFill + n));
        payload = Arrays.copyOf(payload, grown);
    }

    private void skip(ByteBuffer in) {
        int n = Math.min(in.remaining(), skipRemaining);
        in.position(in.position() + n);
        skipRemaining -= n;
        position += n;
        if (skipRemaining == 0) {
            state = State.HEADER;
        }
    }

    // --- helpers ---

    private void checkLength(int len) {
        if (len < 0 || len > maxFrameLength) {
            throw new ProtocolException(ErrorCode.FRAME_TOO_LARGE, "frame length " + Integer.toUnsignedString(len)
                    + " exceeds the maximum of " + maxFrameLength + " (at byte " + frameStart + ")");
        }
        if (len < FrameLayout.MIN_LENGTH) {
            throw new ProtocolException(ErrorCode.MALFORMED_FRAME, "frame length " + len + " is below the minimum of "
                    + FrameLayout.MIN_LENGTH + " (at byte " + frameStart + ")");
        }
    }

    private void checkType(int code) {
        if (FrameType.orNull(code) == null && !FrameType.isExtension(code)) {
            throw new ProtocolException(ErrorCode.UNKNOWN_FRAME_TYPE, "unknown frame type 0x" + Integer.toHexString(code)
                    + " (at byte " + frameStart + ")");
        }
        if (code == FrameType.HELLO.code()) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "a second HELLO (at byte " + frameStart + ")");
        }
    }

    private void readFixedHeaderFields() {
        length = getInt(header, FrameLayout.LENGTH_OFFSET);
        type = header[FrameLayout.TYPE_OFFSET] & 0xFF;
        flags = header[FrameLayout.FLAGS_OFFSET] & 0xFF;
        streamId = getInt(header, FrameLayout.STREAM_ID_OFFSET) & FrameLayout.STREAM_ID_MASK;
    }

    private boolean fillHeader(ByteBuffer in, int upTo) {
        int n = Math.min(in.remaining(), upTo - headerFill);
        in.get(header, headerFill, n);
        headerFill += n;
        position += n;
        return headerFill == upTo;
    }

    /**
     * Starts reading a payload of {@code size} bytes, of which {@code available} are already in the
     * input. The array is sized to what has arrived (at least {@link #MIN_GROWN_BYTES}), not to
     * {@code size}: see {@link #readPayload}.
     */
    private void startPayload(int size, int available) {
        boolean keeps = type == FrameType.MESSAGE.code(); // the MESSAGE frame holds on to its array
        if (size == 0) {
            payload = EMPTY;
        } else if (!keeps && size <= scratch.length) {
            payload = scratch;
        } else {
            payload = new byte[Math.min(size, Math.max(available, MIN_GROWN_BYTES))];
        }
        payloadLength = size;
        payloadFill = 0;
        state = State.PAYLOAD;
    }

    private void emit(FrameHandler handler) {
        byte[] p = payload;
        boolean hello = FrameType.orNull(type) == FrameType.HELLO;
        Frame frame = hello ? FrameParser.parseHello(p, payloadLength)
                : FrameParser.parse(type, flags, streamId, messageLength, p, payloadLength, strings);
        payload = null;
        headerFill = 0;
        state = State.HEADER;
        handler.onFrame(frame);
    }

    private void fail() {
        state = State.FAILED;
        payload = null;
    }

    private static final byte[] EMPTY = new byte[0];

    static int getInt(byte[] b, int off) {
        return ((b[off] & 0xFF) << 24) | ((b[off + 1] & 0xFF) << 16) | ((b[off + 2] & 0xFF) << 8) | (b[off + 3] & 0xFF);
    }

    private static String hex(byte[] b, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(Character.forDigit((b[i] >> 4) & 0xF, 16)).append(Character.forDigit(b[i] & 0xF, 16));
        }
        return sb.toString();
    }
}
