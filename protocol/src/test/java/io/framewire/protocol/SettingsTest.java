package io.framewire.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SettingsTest {

    /** One row of the settings table of PROTOCOL.md section 2. */
    record Row(int id, String name, int defaultValue, String range) {}

    /** The settings table, read from the document so that code and document cannot drift apart. */
    static List<Row> documentTable() throws IOException {
        List<String> lines = Files.readAllLines(Path.of("..", "PROTOCOL.md"));
        int from = indexStartingWith(lines, "## 2.");
        int to = indexStartingWith(lines, "## 3.");
        assertTrue(from >= 0 && to > from, "PROTOCOL.md must have sections 2 and 3");
        List<Row> rows = new ArrayList<>();
        for (String line : lines.subList(from, to)) {
            if (!line.startsWith("| 0x")) {
                continue;
            }
            String[] cells = line.split("\\|");
            rows.add(new Row(parse(cells[1]), cells[2].trim(), parse(cells[3]), cells[4].trim()));
        }
        return rows;
    }

    private static int indexStartingWith(List<String> lines, String prefix) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }

    private static int parse(String cell) {
        String s = cell.trim();
        if (s.equals("2^31-1")) {
            return Integer.MAX_VALUE;
        }
        return s.startsWith("0x") ? Integer.parseInt(s.substring(2), 16) : Integer.parseInt(s);
    }

    @Test
    void everySettingMatchesTheDocumentedTable() throws IOException {
        List<Row> table = documentTable();
        assertEquals(Setting.values().length, table.size(), "rows in PROTOCOL.md: " + table);
        for (Row row : table) {
            Setting s = Setting.valueOf(row.name());
            assertEquals(row.id(), s.id(), row.name());
            assertEquals(row.defaultValue(), s.defaultValue(), row.name());
            assertEquals(row.defaultValue(), Settings.defaults().get(s), row.name());
            if (row.range().equals("bit set")) {
                assertTrue(s.accepts(Integer.MIN_VALUE) && s.accepts(-1) && s.accepts(0), row.name());
            } else {
                String[] bounds = row.range().split("\\.\\.");
                assertEquals(parse(bounds[0]), s.min(), row.name());
                assertEquals(parse(bounds[1]), s.max(), row.name());
            }
        }
    }

    @Test
    void defaults() {
        Settings d = Settings.defaults();
        assertEquals(1_048_576, d.maxFrameSize());
        assertEquals(1000, d.maxConcurrentStreams());
        assertEquals(262_144, d.initialStreamWindow());
        assertEquals(8_388_608, d.connectionWindow());
        assertEquals(4_194_304, d.maxMessageSize());
        assertEquals(8192, d.maxMetadataSize());
        assertEquals(30_000, d.heartbeatIntervalMillis());
        assertEquals(Setting.FEATURE_CALLS | Setting.FEATURE_PUBSUB, d.features());
        assertEquals(d, Settings.builder().build());
    }

    @Test
    void idsAreKnownFrom1To9() {
        for (Setting s : Setting.values()) {
            assertEquals(Optional.of(s), Setting.of(s.id()));
        }
        assertEquals(Optional.empty(), Setting.of(0));
        assertEquals(Optional.empty(), Setting.of(10));
        assertEquals(Optional.empty(), Setting.of(0xFFFF));
    }

    @Test
    void rangesOfTheBoundedSettings() {
        assertEquals(16_384, Setting.MAX_FRAME_SIZE.min());
        assertEquals(16_777_216, Setting.MAX_FRAME_SIZE.max());
        assertEquals(65_536, Setting.CONNECTION_WINDOW.min());
        assertEquals(Integer.MAX_VALUE, Setting.CONNECTION_WINDOW.max());
        for (Setting s : List.of(Setting.MAX_CONCURRENT_STREAMS, Setting.INITIAL_STREAM_WINDOW, Setting.MAX_MESSAGE_SIZE,
                Setting.MAX_METADATA_SIZE, Setting.HEARTBEAT_INTERVAL)) {
            assertEquals(0, s.min(), s.name());
            assertEquals(Integer.MAX_VALUE, s.max(), s.name());
        }
    }

    @ParameterizedTest
    @EnumSource(value = Setting.class, names = "FEATURES", mode = EnumSource.Mode.EXCLUDE)
    void valuesInsideTheRangeAreAcceptedAndOutsideRejected(Setting s) {
        assertEquals(s.min(), Settings.builder().set(s, s.min()).build().get(s));
        assertEquals(s.max(), Settings.builder().set(s, s.max()).build().get(s));
        assertTrue(s.accepts(s.defaultValue()));

        IllegalArgumentException below = assertThrows(IllegalArgumentException.class,
                () -> Settings.builder().set(s, s.min() - 1));
        assertTrue(below.getMessage().contains(s.name()) && below.getMessage().contains(String.valueOf(s.min() - 1)),
                below.getMessage());
        assertFalse(s.accepts(s.min() - 1));
        assertFalse(s.accepts(-1), "a u32 above 2^31-1 is out of range");
        assertFalse(s.accepts(Integer.MIN_VALUE));
        if (s.max() < Integer.MAX_VALUE) {
            assertFalse(s.accepts(s.max() + 1));
            assertThrows(IllegalArgumentException.class, () -> Settings.builder().set(s, s.max() + 1));
        }
    }

    @Test
    void maxFrameSizeRejectsValuesOutsideItsRange() {
        for (int v : new int[] {0, 100, 16_383, 16_777_217, Integer.MAX_VALUE, -1}) {
            assertThrows(IllegalArgumentException.class, () -> Settings.builder().set(Setting.MAX_FRAME_SIZE, v), "" + v);
        }
    }

    @Test
    void featuresTakeAnyBitSet() {
        for (int v : new int[] {0, 1, 2, 3, 0xFF, -1, Integer.MIN_VALUE}) {
            assertEquals(v, Settings.builder().set(Setting.FEATURES, v).build().features());
        }
    }

    @Test
    void toBuilderCopiesAndLeavesTheOriginalAlone() {
        Settings original = Settings.builder().set(Setting.MAX_FRAME_SIZE, 65_536).set(Setting.HEARTBEAT_INTERVAL, 0).build();
        Settings.Builder b = original.toBuilder();
        Settings changed = b.set(Setting.MAX_MESSAGE_SIZE, 1).build();
        b.set(Setting.MAX_FRAME_SIZE, 16_384);

        assertEquals(65_536, original.maxFrameSize());
        assertEquals(4 << 20, original.maxMessageSize());
        assertEquals(65_536, changed.maxFrameSize());
        assertEquals(0, changed.heartbeatIntervalMillis());
        assertEquals(1, changed.maxMessageSize());
        assertEquals(16_384, b.build().maxFrameSize());
        assertEquals(original, original.toBuilder().build());
        assertEquals(Settings.defaults().maxFrameSize(), Settings.defaults().toBuilder().build().maxFrameSize());
        assertSame(Settings.defaults(), Settings.defaults());
        assertEquals(1 << 20, Settings.defaults().maxFrameSize());
    }

    @Test
    void equalityComparesEveryValue() {
        Settings a = Settings.builder().set(Setting.MAX_CONCURRENT_STREAMS, 5).build();
        Settings b = Settings.builder().set(Setting.MAX_CONCURRENT_STREAMS, 5).build();

        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(Settings.defaults(), a);
        assertNotEquals(a, Settings.builder().set(Setting.MAX_CONCURRENT_STREAMS, 5).set(Setting.FEATURES, 1).build());
        assertEquals(Settings.defaults(), Settings.builder().set(Setting.MAX_CONCURRENT_STREAMS, 5)
                .set(Setting.MAX_CONCURRENT_STREAMS, 1000).build());
        assertNotEquals(a, "Settings");
    }

    @Test
    void toStringNamesEverySetting() {
        String s = Settings.builder().set(Setting.HEARTBEAT_INTERVAL, 5000).build().toString();
        assertTrue(s.startsWith("Settings{MAX_FRAME_SIZE=1048576, "), s);
        assertTrue(s.contains("HEARTBEAT_INTERVAL=5000"), s);
        assertTrue(s.endsWith("FEATURES=3, PUBLISH_WINDOW=1048576}"), s);
    }

    @Test
    void aHelloCarriesEverySettingAndDecodesToEqualSettings() {
        Settings custom = Settings.builder().set(Setting.MAX_FRAME_SIZE, 16_777_216).set(Setting.MAX_CONCURRENT_STREAMS, 0)
                .set(Setting.CONNECTION_WINDOW, 65_536).set(Setting.FEATURES, Setting.FEATURE_CALLS).build();
        Frame.Hello hello = Handshake.serverHello(1, custom);
        List<Frame> got = Feeding.WHOLE.feed(FrameDecoder.forConnection(1 << 20), FrameEncoder.encode(hello), 0);
        assertEquals(List.of(hello), got);
        assertEquals(FrameLayout.HEADER_LENGTH + FrameLayout.HELLO_FIXED_PAYLOAD_LENGTH
                + Setting.values().length * FrameLayout.SETTING_LENGTH, FrameEncoder.encodedLength(hello));
    }
}
