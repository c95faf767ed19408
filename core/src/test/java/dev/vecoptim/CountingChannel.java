package dev.vecoptim;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A read-only file channel that remembers the furthest byte read through it: how a test proves that a reader
 * refused a file from its first bytes, without reading the rest.
 */
final class CountingChannel extends FileChannel {
    private final FileChannel file;
    private long end;

    private CountingChannel(FileChannel file) {
        this.file = file;
    }

    static CountingChannel open(Path path) throws IOException {
        return new CountingChannel(FileChannel.open(path, StandardOpenOption.READ));
    }

    /** {@return one past the furthest byte read so far} */
    long end() {
        return end;
    }

    @Override
    public int read(ByteBuffer destination, long position) throws IOException {
        int read = file.read(destination, position);
        end = Math.max(end, position + Math.max(read, 0));
        return read;
    }

    @Override
    public int read(ByteBuffer destination) throws IOException {
        long position = file.position();
        int read = file.read(destination);
        end = Math.max(end, position + Math.max(read, 0));
        return read;
    }

    @Override
    public long read(ByteBuffer[] destinations, int offset, int length) throws IOException {
        throw new UnsupportedOperationException("scattering reads are not counted");
    }

    @Override
    public long size() throws IOException {
        return file.size();
    }

    @Override
    public long position() throws IOException {
        return file.position();
    }

    @Override
    public FileChannel position(long position) throws IOException {
        file.position(position);
        return this;
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) {
        throw new UnsupportedOperationException("transfers are not counted");
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) {
        throw new UnsupportedOperationException("mappings are not counted");
    }

    @Override
    public int write(ByteBuffer source) {
        throw new UnsupportedOperationException("read-only");
    }

    @Override
    public long write(ByteBuffer[] sources, int offset, int length) {
        throw new UnsupportedOperationException("read-only");
    }

    @Override
    public int write(ByteBuffer source, long position) {
        throw new UnsupportedOperationException("read-only");
    }

    @Override
    public FileChannel truncate(long size) {
        throw new UnsupportedOperationException("read-only");
    }

    @Override
    public long transferFrom(ReadableByteChannel source, long position, long count) {
        throw new UnsupportedOperationException("read-only");
    }

    @Override
    public void force(boolean metaData) {
        throw new UnsupportedOperationException("read-only");
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) {
        throw new UnsupportedOperationException("no locks");
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) {
        throw new UnsupportedOperationException("no locks");
    }

    @Override
    protected void implCloseChannel() throws IOException {
        file.close();
    }
}
