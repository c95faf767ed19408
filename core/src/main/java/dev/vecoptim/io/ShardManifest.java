package dev.vecoptim.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The manifest of a checkpoint written shard by shard: how many processes wrote it, at which step, how each group was
 * cut among them, and each process's file (its name beside the manifest, its size and CRC32C), so that a file that is
 * missing, of another save, damaged or changed is refused. The manifest is one line of JSON, then a line of the
 * CRC32C of that JSON's bytes in 8 hexadecimal digits, and is replaced atomically and last: a save that does not
 * finish leaves the previous manifest, and the files it names, as they were.
 *
 * @param processes how many processes wrote the checkpoint
 * @param stepCount the optimizer's completed steps
 * @param groupCounts per group, each process's shard in elements, in order of process
 * @param shards per process, its file
 */
public record ShardManifest(int processes, long stepCount, List<long[]> groupCounts, List<Shard> shards) {
    /** The value of the manifest's {@code format}. */
    public static final String FORMAT = "vecoptim sharded checkpoint";
    private static final int VERSION = 1;
    /** The signature a leftover temporary manifest is known by: the start of its JSON. */
    private static final byte[] SIGNATURE = "{\"format\":\"".getBytes(StandardCharsets.UTF_8);
    /** A manifest is small; anything much larger is not one. */
    private static final long MOST_BYTES = 1 << 24;

    /**
     * One process's file.
     *
     * @param file its name, in the manifest's directory
     * @param bytes its size
     * @param crc32c the CRC32C of all its bytes
     */
    public record Shard(String file, long bytes, int crc32c) {
        /** {@return this shard's record of {@code file}, read whole} */
        public static Shard of(Path file) throws IOException {
            long[] sizeAndCrc = sizeAndCrc(file);
            return new Shard(file.getFileName().toString(), sizeAndCrc[0], (int) sizeAndCrc[1]);
        }

        /**
         * Checks that {@code file} is this shard's: there, of its size and CRC32C.
         *
         * @throws RefusedFileException naming the file and what differs
         */
        public void check(Path file) throws IOException {
            long[] sizeAndCrc;
            try {
                sizeAndCrc = sizeAndCrc(file);
            } catch (NoSuchFileException missing) {
                throw new RefusedFileException(file + " is missing: the sharded checkpoint's manifest names it");
            }
            if (sizeAndCrc[0] != bytes || (int) sizeAndCrc[1] != crc32c) {
                throw new RefusedFileException(file + " is not the file the manifest names: " + sizeAndCrc[0]
                        + " bytes of CRC32C " + hex((int) sizeAndCrc[1]) + ", not " + bytes + " of " + hex(crc32c)
                        + " (damaged, changed, or of another save)");
            }
        }
    }

    /** Writes this manifest over {@code file}, atomically. */
    public void write(Path file) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("format", FORMAT);
        json.put("version", VERSION);
        json.put("processes", processes);
        json.put("step_count", stepCount);
        List<Object> groups = new ArrayList<>();
        for (long[] counts : groupCounts) {
            groups.add(Arrays.stream(counts).boxed().toList());
        }
        json.put("groups", groups);
        List<Object> files = new ArrayList<>();
        for (Shard shard : shards) {
            files.add(Map.of("file", shard.file(), "bytes", shard.bytes(), "crc32c", hex(shard.crc32c())));
        }
        json.put("shards", files);
        byte[] body = Json.write(json);
        byte[] tail = ("\n" + hex(crc(body)) + "\n").getBytes(StandardCharsets.UTF_8);
        try (FileReplacement replacement = FileReplacement.begin(file, 0, SIGNATURE)) {
            FileChannel channel = replacement.channel();
            ByteBuffer buffer = ByteBuffer.allocate(body.length + tail.length).put(body).put(tail).flip();
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            replacement.commit();
        }
    }

    /**
     * Reads the manifest {@code file}.
     *
     * @throws RefusedFileException naming the file, if it is not a manifest, is damaged, or says something impossible
     */
    public static ShardManifest read(Path file) throws IOException {
        byte[] bytes;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            if (channel.size() > MOST_BYTES) {
                throw new RefusedFileException(file + " is not a sharded checkpoint's manifest: " + channel.size()
                        + " bytes");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException missing) {
            throw new RefusedFileException(file + " does not exist", missing);
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        int newline = text.indexOf('\n');
        byte[] body = newline < 0 ? bytes : Arrays.copyOf(bytes, text.substring(0, newline)
                .getBytes(StandardCharsets.UTF_8).length);
        if (newline < 0 || !text.substring(newline).equals("\n" + hex(crc(body)) + "\n")) {
            throw new RefusedFileException(file + " is not a sharded checkpoint's manifest, or is damaged: its"
                    + " JSON is not followed by the line of its CRC32C");
        }
        try {
            return parse((Map<?, ?>) Json.parse(body));
        } catch (ClassCastException | IllegalArgumentException | NullPointerException malformed) {
            throw new RefusedFileException(file + " is not a sharded checkpoint's manifest: " + malformed.getMessage(),
                    malformed);
        }
    }

    private static ShardManifest parse(Map<?, ?> json) {
        if (!FORMAT.equals(json.get("format")) || !Long.valueOf(VERSION).equals(json.get("version"))) {
            throw new IllegalArgumentException("its format is " + json.get("format") + " version "
                    + json.get("version") + ", not " + FORMAT + " version " + VERSION);
        }
        int processes = Math.toIntExact((Long) json.get("processes"));
        long stepCount = (Long) json.get("step_count");
        List<long[]> groupCounts = new ArrayList<>();
        for (Object group : (List<?>) json.get("groups")) {
            long[] counts = ((List<?>) group).stream().mapToLong(count -> (Long) count).toArray();
            if (counts.length != processes || Arrays.stream(counts).anyMatch(count -> count < 0)) {
                throw new IllegalArgumentException("a group is cut into " + Arrays.toString(counts) + " for "
                        + processes + " processes");
            }
            groupCounts.add(counts);
        }
        List<Shard> shards = new ArrayList<>();
        for (Object entry : (List<?>) json.get("shards")) {
            Map<?, ?> shard = (Map<?, ?>) entry;
            String name = (String) shard.get("file");
            if (name.contains("/") || name.contains("\\") || name.startsWith(".")) {
                throw new IllegalArgumentException("a shard's file is " + name + ", not a name in its directory");
            }
            shards.add(new Shard(name, (Long) shard.get("bytes"), HexFormat.fromHexDigits((String) shard.get(
                    "crc32c"))));
        }
        if (processes < 1 || shards.size() != processes || stepCount < 0) {
            throw new IllegalArgumentException(shards.size() + " files for " + processes + " processes, at step "
                    + stepCount);
        }
        return new ShardManifest(processes, stepCount, groupCounts, shards);
    }

    /** The size and CRC32C of {@code file}, read in pieces: a shard's file may hold more than an array can. */
    private static long[] sizeAndCrc(Path file) throws IOException {
        CRC32C crc = new CRC32C();
        long size = 0;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
            for (int read = channel.read(buffer); read >= 0; read = channel.read(buffer)) {
                buffer.flip();
                size += buffer.remaining();
                crc.update(buffer);
                buffer.clear();
            }
        }
        return new long[] {size, crc.getValue()};
    }

    private static int crc(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        return (int) crc.getValue();
    }

    private static String hex(int crc) {
        return HexFormat.of().toHexDigits(crc);
    }
}
