package dev.vecoptim.bench;

import dev.vecoptim.Adam;
import dev.vecoptim.RmsProp;
import dev.vecoptim.Sgd;
import dev.vecoptim.VectorWidth;
import dev.vecoptim.kernel.RooflineShape;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The optimizer configurations the benchmarks measure, with the hyper-parameters users run (PyTorch's
 * defaults, momentum 0.9). Each knows how to step through the public API, how many buffers it writes, and
 * so how many bytes one step moves per element.
 */
public enum Workload {
    SGD_MOMENTUM("sgd-momentum", 2),
    SGD_NESTEROV("sgd-nesterov", 2),
    RMSPROP("rmsprop", 2),
    RMSPROP_CENTERED("rmsprop-centered", 3),
    ADAM("adam", 3),
    AMSGRAD("amsgrad", 4),
    ADAMW("adamw", 3);

    /** The step number every benchmark applies: past the first, so SGD runs its momentum path. */
    public static final long STEP = 10;

    private final String id;
    private final int writtenBuffers;

    Workload(String id, int writtenBuffers) {
        this.id = id;
        this.writtenBuffers = writtenBuffers;
    }

    public String id() {
        return id;
    }

    public static Workload of(String id) {
        return Arrays.stream(values()).filter(w -> w.id.equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no workload " + id + "; one of "
                        + Arrays.stream(values()).map(Workload::id).toList()));
    }

    /** The parameter and the state buffers the step writes: param, then state 0, 1, 2 in order. */
    public int writtenBuffers() {
        return writtenBuffers;
    }

    public RooflineShape rooflineShape() {
        return new RooflineShape(writtenBuffers);
    }

    /** Bytes one step reads and writes per element: the gradient once, every written buffer twice. */
    public long bytesPerElement() {
        return rooflineShape().bytesPerElement();
    }

    /** One step of this optimizer through the public API, with buffers param, grad, state 0..2. */
    public interface Stepper {
        void step(MemorySegment param, MemorySegment grad, MemorySegment s0, MemorySegment s1, MemorySegment s2,
                  long step);
    }

    public Stepper stepper(VectorWidth width) {
        return switch (this) {
            case SGD_MOMENTUM, SGD_NESTEROV -> {
                Sgd sgd = sgd(width);
                yield (p, g, s0, s1, s2, t) -> sgd.step(p, g, s0, t);
            }
            case RMSPROP, RMSPROP_CENTERED -> {
                RmsProp rmsProp = rmsProp(width);
                yield (p, g, s0, s1, s2, t) -> rmsProp.step(p, g, s0, s1, null, t);
            }
            case ADAM, AMSGRAD, ADAMW -> {
                Adam adam = adam(width);
                yield (p, g, s0, s1, s2, t) -> adam.step(p, g, s0, s1, s2, t);
            }
        };
    }

    Sgd sgd(VectorWidth width) {
        return Sgd.builder(0.01).momentum(0.9).nesterov(this == SGD_NESTEROV).vectorWidth(width).build();
    }

    RmsProp rmsProp(VectorWidth width) {
        return RmsProp.builder().centered(this == RMSPROP_CENTERED).vectorWidth(width).build();
    }

    Adam adam(VectorWidth width) {
        Adam.Builder builder = this == ADAMW ? Adam.adamWBuilder() : Adam.builder();
        return builder.amsgrad(this == AMSGRAD).vectorWidth(width).build();
    }
}
