package dev.vecoptim.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Reads a checkpoint file once, into memory it owns, and checks it there: what a load copies is exactly
 * what was checked. The file is never memory-mapped, because a mapped file that another process truncates
 * kills the JVM (SIGBUS) on the next access, and one that is overwritten in place changes under the reader
 * between the check and the copy. Here, a file truncated or overwritten while it is read fails its CRC32C
 * (or ends early) and is refused.
 *
 * <p>Every refusal after the first 16 bytes first checks the file's CRC32C, so that a damaged file is
 * called damaged rather than, say, of another optimizer.
 */
public final class CheckpointReader<H extends CheckpointReader.Header> implements AutoCloseable {
    /** What a checkpoint's header says of the rest of the file. */
    public interface Header {
        /** {@return the bytes of the payload the header describes} */
        long payloadBytes();
    }

    /** How a header of each format version is read. */
    public interface HeaderFormat<H> {
        H read(int version, ByteBuffer bytes) throws MalformedHeaderException;
    }


    public static final byte[] MAGIC = {'V', 'E', 'C', 'O', 'P', 'T', 'I', 'M'};
    public static final int VERSION = 8;
    public static final int PREAMBLE = MAGIC.length + 2 * Integer.BYTES;
    public static final int ALIGNMENT = 64;
    private static final int CRC_BYTES = Integer.BYTES;
    /** The largest read at once: a ByteBuffer holds at most 2^31 − 1 bytes. */
    public static final int READ_BYTES = 1 << 30;
    /** The buffer a refusal checks the CRC32C through, so that it needs no memory the size of the file. */
    private static final int CHECK_BYTES = 1 << 16;

    private final Path file;
    private final FileChannel channel;
    private final int readBytes;
    private final long size;
    private final byte[] preamble;
    private int version;
    private int headerLength;
    private byte[] headerBytes;
    private final HeaderFormat<H> format;
    private H header;

    private CheckpointReader(Path file, FileChannel channel, int readBytes, HeaderFormat<H> format) throws IOException {
        this.file = file;
        this.format = format;
        this.channel = channel;
        this.readBytes = readBytes;
        this.size = channel.size();
        if (size < PREAMBLE + CRC_BYTES) {
            throw new RefusedFileException(file + " is not a vecoptim checkpoint: it has " + size + " bytes");
        }
        preamble = readAt(0, PREAMBLE);
    }

    /**
     * Opens a checkpoint and reads its header; {@link #payload} will read at most {@code readBytes} at once
     * ({@link #READ_BYTES}; tests read in small pieces to reach every piece of the loops).
     *
     * @throws RefusedFileException if it is not a regular file, not a checkpoint, of an unknown format version,
     *     or damaged
     */
    public static <H extends Header> CheckpointReader<H> open(Path path, int readBytes, HeaderFormat<H> format)
            throws IOException {
        Path file = path.toAbsolutePath();
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        if (!attributes.isRegularFile()) {
            throw new RefusedFileException(file + (attributes.isDirectory() ? " is a directory" : " is not a regular file")
                    + ", not a checkpoint");
        }
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        try {
            CheckpointReader<H> reader = new CheckpointReader<>(file, channel, readBytes, format);
            reader.readHeader();
            return reader;
        } catch (IOException | RuntimeException | Error e) {
            channel.close();
            throw e;
        }
    }

    private void readHeader() throws IOException {
        if (!Arrays.equals(preamble, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            long safetensorsHeader = ByteBuffer.wrap(preamble).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            boolean safetensors = preamble[MAGIC.length] == '{' && safetensorsHeader > 0
                    && safetensorsHeader <= size - MAGIC.length;
            throw new RefusedFileException(file + " is not a vecoptim checkpoint (no VECOPTIM magic)" + (safetensors
                    ? ": it is a safetensors file, which Optimizer.loadStateDict(path) loads if it is a state dict" : ""));
        }
        ByteBuffer numbers = ByteBuffer.wrap(preamble, MAGIC.length, 2 * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        version = numbers.getInt();
        if (version < 1 || version > VERSION) {
            throw new RefusedFileException(file + " is format version " + Integer.toUnsignedString(version)
                    + "; this vecoptim reads versions 1 to " + VERSION);
        }
        headerLength = numbers.getInt();
        if (headerLength < 0 || headerLength > size - PREAMBLE - CRC_BYTES) {
            throw refusal("its header length " + Integer.toUnsignedString(headerLength) + " does not fit in " + size
                    + " bytes");
        }
        headerBytes = readAt(PREAMBLE, headerLength);
        try {
            header = format.read(version, ByteBuffer.wrap(headerBytes));
        } catch (MalformedHeaderException malformed) {
            throw refusal(malformed.getMessage());
        }
        // payloadBytes() < 2^63 was checked; the header and its padding add less than 2^32.
        long described = payloadStart() + header.payloadBytes() + CRC_BYTES;
        if (described < 0 || size != described) {
            throw refusal("it has " + size + " bytes, but its header describes "
                    + (described < 0 ? "more than 2^63" : described));
        }
    }

    public int version() {
        return version;
    }

    public H header() {
        return header;
    }

    /** Why the file is refused: {@code reason} if its CRC32C is right, else that it is damaged. */
    public RefusedFileException refusal(String reason) throws IOException {
        return crcMatches() ? new RefusedFileException(file + ": " + reason) : damaged();
    }

    /**
     * Reads the rest of the file into memory of {@code arena}, checks the CRC32C of the whole file, and returns
     * the payload: every state buffer, little-endian, in the header's order.
     *
     * @throws RefusedFileException if the file is damaged, or changed while it was read
     */
    public MemorySegment payload(Arena arena) throws IOException {
        long restStart = PREAMBLE + (long) headerLength;
        MemorySegment rest = arena.allocate(size - restStart, ALIGNMENT);
        readFully(file, channel, restStart, rest, readBytes);
        CRC32C crc = new CRC32C();
        crc.update(preamble);
        crc.update(headerBytes);
        long checked = rest.byteSize() - CRC_BYTES;
        for (long from = 0; from < checked; from += readBytes) {
            crc.update(rest.asSlice(from, Math.min(readBytes, checked - from)).asByteBuffer());
        }
        if (rest.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), checked) != (int) crc.getValue()) {
            throw damaged();
        }
        long padding = payloadStart() - restStart;
        return rest.asSlice(padding, checked - padding);
    }

    /**
     * Fills {@code into} with the bytes of {@code channel} from {@code position}, reading at most {@code readBytes}
     * at once.
     *
     * @throws RefusedFileException naming {@code file} if it ends before {@code into} is full
     */
    public static void readFully(Path file, FileChannel channel, long position, MemorySegment into, int readBytes)
            throws IOException {
        for (long from = 0; from < into.byteSize(); ) {
            ByteBuffer window = into.asSlice(from, Math.min(readBytes, into.byteSize() - from)).asByteBuffer();
            while (window.hasRemaining()) {
                if (channel.read(window, position + from + window.position()) < 0) {
                    throw new RefusedFileException(file + " became shorter while it was read; nothing was loaded");
                }
            }
            from += window.capacity();
        }
    }

    private long payloadStart() {
        return align(PREAMBLE + (long) headerLength);
    }

    public static long align(long offset) {
        return (offset + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    private RefusedFileException damaged() {
        return new RefusedFileException(file + " is damaged, truncated, or was changed while it was read: its CRC32C"
                + " does not match its contents");
    }

    /** The CRC32C of the file as it is now, read in pieces: bounded memory, whatever the file's size. */
    private boolean crcMatches() throws IOException {
        CRC32C crc = new CRC32C();
        ByteBuffer buffer = ByteBuffer.allocate(Math.min(readBytes, CHECK_BYTES));
        long checked = size - CRC_BYTES;
        for (long position = 0; position < checked; ) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), checked - position));
            int read = channel.read(buffer, position);
            if (read < 0) {
                return false;
            }
            crc.update(buffer.flip());
            position += read;
        }
        ByteBuffer stored = ByteBuffer.allocate(CRC_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        while (stored.hasRemaining()) {
            if (channel.read(stored, checked + stored.position()) < 0) {
                return false;
            }
        }
        return stored.getInt(0) == (int) crc.getValue();
    }

    private byte[] readAt(long position, int length) throws IOException {
        byte[] bytes = new byte[length];
        readFully(file, channel, position, MemorySegment.ofArray(bytes), readBytes);
        return bytes;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
