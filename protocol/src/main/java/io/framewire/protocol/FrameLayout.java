package io.framewire.protocol;

/**
 * The wire layout of a Framewire frame, written once. {@code PROTOCOL.md} section 1 is the same
 * layout in prose; a change to one is a change to both.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------------------------------------------------------+
 * |                        Length (u32)                           |   LENGTH_OFFSET
 * +---------------+---------------+-------------------------------+
 * |   Type (u8)   |  Flags (u8)   |R|  Stream ID (31 bits) ...    |   TYPE_OFFSET, FLAGS_OFFSET, STREAM_ID_OFFSET
 * +---------------+---------------+-------------------------------+
 * |  ... Stream ID                |  Payload (Length - 6 bytes)   |   HEADER_LENGTH
 * +-------------------------------+-------------------------------+
 * </pre>
 *
 * <p>The first frame on a connection is a HELLO whose payload starts with {@link #MAGIC}, so a
 * receiver reads {@link #HELLO_PREFIX_LENGTH} bytes and checks the magic before it trusts the length.
 */
public final class FrameLayout {
    private FrameLayout() {}

    public static final int LENGTH_OFFSET = 0;
    public static final int LENGTH_LENGTH = 4;
    public static final int TYPE_OFFSET = 4;
    public static final int FLAGS_OFFSET = 5;
    public static final int STREAM_ID_OFFSET = 6;
    public static final int STREAM_ID_LENGTH = 4;
    /** Bytes before the payload: length, type, flags, stream id. */
    public static final int HEADER_LENGTH = 10;
    /** The smallest legal value of the Length field: type, flags and stream id with no payload. */
    public static final int MIN_LENGTH = HEADER_LENGTH - LENGTH_LENGTH;
    /** The reserved high bit of the stream id field is ignored on receipt. */
    public static final int STREAM_ID_MASK = 0x7FFF_FFFF;

    /** ASCII "FWIR", the first four bytes of a HELLO payload. */
    public static final int MAGIC = 0x4657_4952;
    public static final int MAGIC_LENGTH = 4;
    /** Header plus magic: what a receiver reads before it judges the first frame. */
    public static final int HELLO_PREFIX_LENGTH = HEADER_LENGTH + MAGIC_LENGTH;
    /** A HELLO's Length may not exceed this: it is read before any MAX_FRAME_SIZE is known. */
    public static final int HELLO_MAX_LENGTH = 16_384;
    /** Magic, min version, max version. */
    public static final int HELLO_FIXED_PAYLOAD_LENGTH = MAGIC_LENGTH + 2;
    /** One setting: u16 id, u32 value. */
    public static final int SETTING_LENGTH = 6;

    /** The protocol version this document and code describe. */
    public static final int PROTOCOL_VERSION = 1;
    public static final int MIN_SUPPORTED_VERSION = 1;
    public static final int MAX_SUPPORTED_VERSION = 1;

    /** MESSAGE with {@link #FLAG_FIRST}: the payload starts with the message's total length. */
    public static final int MESSAGE_LENGTH_PREFIX = 4;
    /** Largest fragment this implementation sends, so large messages interleave with small calls. */
    public static final int MAX_FRAGMENT_PAYLOAD = 64 * 1024;

    /** CALL: a u64 timeout in nanoseconds follows the shape byte. */
    public static final int FLAG_DEADLINE = 0x01;
    /** MESSAGE: first fragment of a message, carrying the message length. */
    public static final int FLAG_FIRST = 0x01;
    /** CREDIT: the stream id is a subscription id and the increment counts DELIVER frames. */
    public static final int FLAG_SUBSCRIPTION = 0x01;
    /** PUBLISH: the stream id is an ack id; the broker answers with ACK. */
    public static final int FLAG_ACK_REQUESTED = 0x01;
    /** CREDIT on stream 0: the increment is PUBLISH credit, in payload bytes. */
    public static final int FLAG_PUBLISH_CREDIT = 0x02;
    /** DELIVER: the broker's no-responders answer to a request. */
    public static final int FLAG_NO_RESPONDERS = 0x01;

    /** Frame types 0xF0..0xFF are extensions: unknown ones are skipped, not rejected. */
    public static final int FIRST_EXTENSION_TYPE = 0xF0;

    /** ERROR and GOAWAY messages are cut to this many bytes by the sender. */
    public static final int MAX_ERROR_MESSAGE_BYTES = 1024;
    /** STATUS, CANCEL, ACK and SUBSCRIPTION_END messages are cut to this many bytes. */
    public static final int MAX_STATUS_MESSAGE_BYTES = 4096;
    /** The most UTF-8 bytes a {@code str16} holds. */
    public static final int MAX_STR16_BYTES = 0xFFFF;
    /** A DELIVER's payload is its PUBLISH's payload plus this: the u64 sequence number. */
    public static final int DELIVER_OVERHEAD = 8;
    /** Largest CREDIT increment and largest window. */
    public static final int MAX_WINDOW = Integer.MAX_VALUE;
}
