package dev.vecoptim;

import dev.vecoptim.io.RefusedFileException;
import dev.vecoptim.kernel.AverageKernel;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.NoFlags;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Averages of parameters' values over training, as {@code torch.optim.swa_utils.AveragedModel} keeps them, bit for
 * bit: each {@link #update()} copies the values at the first call ({@code n_averaged = 0}), and after it folds them
 * into the averages, for float32 values {@code c} and averages {@code a}:
 * <ul>
 * <li>{@link #swa}, stochastic weight averaging (AveragedModel's default, PyTorch 1.13 and 2.x): {@code a = a + (c −
 *     a) / (n + 1)} in float32, the mean of the {@code n + 1} values seen;
 * <li>{@link #ema}, an exponential moving average (2.x's {@code get_ema_multi_avg_fn(decay)}): {@code a = lerp(a, c,
 *     1 − decay)}, ATen's lerp with the weight rounded to float32.
 * </ul>
 * The averages live in memory of this object's, freed by {@link #close()}; a vector loop of the preferred width
 * computes them, with the bits of the scalar definition. {@link #save} and {@link #load} keep them in a file as
 * {@code AveragedModel.state_dict()} lays them out. Not thread-safe. With a {@link ShardedOptimizer}, average its
 * groups' {@link ShardedGroup#values()} on every process: every step leaves them the same on each, so every process
 * holds the same averages, those of a one-process optimizer stepping the averaged gradients.
 */
public final class AveragedParameters implements AutoCloseable {
    private final List<MemorySegment> values;
    private final List<MemorySegment> averages;
    private final Arena arena = Arena.ofShared();
    /** The EMA's weight {@code 1 − decay} in float32, or NaN for SWA. */
    private final float weight;
    /** How it averages, as its files say: "swa", or "ema" and the decay. */
    private final String averaging;
    private final AverageKernel kernel = Kernels.kernel(AverageKernel.FAMILY, VectorWidth.PREFERRED.resolveBits(),
            new NoFlags());
    private long count;
    private boolean closed;

    private AveragedParameters(List<MemorySegment> values, float weight, String averaging) {
        List<MemorySegment> own = new ArrayList<>(values.size());
        for (MemorySegment value : values) {
            Objects.requireNonNull(value, "a value segment");
            if (value.byteSize() % Float.BYTES != 0) {
                throw new IllegalArgumentException("a segment of " + value.byteSize() + " bytes holds no whole floats");
            }
        }
        this.values = List.copyOf(values);
        for (MemorySegment value : this.values) {
            own.add(arena.allocate(Math.max(1, value.byteSize()), 64).asSlice(0, value.byteSize()));
        }
        this.averages = own;
        this.weight = weight;
        this.averaging = averaging;
    }

    /**
     * Stochastic weight averaging of {@code values}: the mean of their values at every {@link #update()}.
     *
     * @param values float32 parameters' values, in any memory; read at each update
     * @return the averages, none made yet
     * @throws IllegalArgumentException if a segment holds no whole floats
     */
    public static AveragedParameters swa(List<MemorySegment> values) {
        return new AveragedParameters(values, Float.NaN, "swa");
    }

    /**
     * An exponential moving average of {@code values}: {@code a = lerp(a, c, 1 − decay)} at every {@link #update()}
     * after the first.
     *
     * @param values float32 parameters' values, in any memory; read at each update
     * @param decay the weight of the average so far, in [0, 1]
     * @return the averages, none made yet
     * @throws IllegalArgumentException if {@code decay} is outside [0, 1] (PyTorch's message), or a segment holds no
     *     whole floats
     */
    public static AveragedParameters ema(List<MemorySegment> values, double decay) {
        if (!(decay >= 0 && decay <= 1)) {
            throw new IllegalArgumentException("Invalid decay value " + decay + " provided. Please provide a value in"
                    + " [0,1] range.");
        }
        return new AveragedParameters(values, (float) (1 - decay), "ema, decay " + decay);
    }

    /**
     * Folds the values as they are now into the averages ({@code update_parameters}): a copy at the first call.
     *
     * @throws IllegalStateException if closed
     */
    public void update() {
        checkOpen();
        for (int p = 0; p < values.size(); p++) {
            MemorySegment average = averages.get(p);
            MemorySegment value = values.get(p);
            long elements = value.byteSize() / Float.BYTES;
            if (count == 0) {
                average.copyFrom(value);
            } else if (Float.isNaN(weight)) {
                kernel.swa(average, value, count + 1, 0, elements);
            } else {
                kernel.ema(average, value, weight, false, 0, elements);
            }
        }
        count++;
    }

    /**
     * {@return the averages, read-only, one per value segment in order; undefined before the first update}
     *
     * @throws IllegalStateException if closed
     */
    public List<MemorySegment> averages() {
        checkOpen();
        return averages.stream().map(MemorySegment::asReadOnly).toList();
    }

    /** {@return how many updates the averages hold: PyTorch's {@code n_averaged}} */
    public long count() {
        return count;
    }

    /**
     * Writes the averages and their count to {@code file}, atomically, as {@code AveragedModel.state_dict()} lays them
     * out in a safetensors file: tensors {@code module.<i>} (the average of the i-th value segment, F32, flat) and
     * {@code n_averaged} (a 0-dim I64); its {@code __metadata__} says how they average ({@code averaging}: {@code
     * "swa"}, or {@code "ema, decay <decay>"}) and holds the file's CRC-32 ({@code crc32}). PyTorch's
     * {@code AveragedModel} takes them with its module's parameter names for {@code <i>}.
     *
     * @param file the file to write or replace
     * @throws IllegalStateException if closed
     * @throws java.nio.file.FileSystemException naming the file, if it is a directory or another non-regular file, or
     *     cannot be created or written
     */
    public void save(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        checkOpen();
        AveragedParametersFile.save(file, averages, count, averaging);
    }

    /**
     * Restores the averages and their count from a file that {@link #save} wrote, all or nothing: it is read whole and
     * checked (its checksum, that it did not change while read, that it averages as these do, over as many value
     * segments of the same sizes) before anything changes.
     *
     * @param file a file {@link #save} wrote
     * @throws CheckpointException naming the file and what is wrong; nothing is loaded then
     * @throws IllegalStateException if closed
     */
    public void load(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        checkOpen();
        try {
            count = AveragedParametersFile.load(file, averages, averaging);
        } catch (RefusedFileException refused) {
            throw new CheckpointException(refused.getMessage(), refused);
        }
    }

    /** Frees the averages; their segments can no longer be read. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the averaged parameters are closed");
        }
    }
}
