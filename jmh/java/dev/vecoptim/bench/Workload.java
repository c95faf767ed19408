package dev.vecoptim.bench;

import dev.vecoptim.Adadelta;
import dev.vecoptim.Adagrad;
import dev.vecoptim.Adam;
import dev.vecoptim.Adamax;
import dev.vecoptim.Algorithm;
import dev.vecoptim.Asgd;
import dev.vecoptim.NAdam;
import dev.vecoptim.RAdam;
import dev.vecoptim.RmsProp;
import dev.vecoptim.Rprop;
import dev.vecoptim.Semantics;
import dev.vecoptim.Sgd;
import dev.vecoptim.VectorWidth;
import dev.vecoptim.kernel.RooflineShape;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * The optimizer configurations the benchmarks measure, with the hyper-parameters users run (PyTorch's
 * defaults, momentum 0.9) under PyTorch 2.x's semantics, and the two that 1.13's round differently: the
 * benchmarks' one list of optimizers. Each entry holds how to build it, its
 * hand-written static final species loop and its plain {@code float[]} loop (the baselines), and the speed-up
 * over the scalar reference it should reach in cache.
 */
public enum Workload {
    SGD_MOMENTUM("sgd-momentum", 3, width -> Sgd.builder(0.01).momentum(0.9).vectorWidth(width).build(),
            sgd -> StaticFinalSpeciesKernels.sgd((Sgd) sgd), sgd -> PlainArrayLoops.sgd((Sgd) sgd)),
    SGD_NESTEROV("sgd-nesterov", 3, width -> Sgd.builder(0.01).momentum(0.9).nesterov(true).vectorWidth(width).build(),
            sgd -> StaticFinalSpeciesKernels.sgd((Sgd) sgd), sgd -> PlainArrayLoops.sgd((Sgd) sgd)),
    RMSPROP("rmsprop", 4, width -> RmsProp.builder().vectorWidth(width).build(),
            rms -> StaticFinalSpeciesKernels.rmsProp((RmsProp) rms), rms -> PlainArrayLoops.rmsProp((RmsProp) rms)),
    RMSPROP_CENTERED("rmsprop-centered", 4, width -> RmsProp.builder().centered(true).vectorWidth(width).build(),
            rms -> StaticFinalSpeciesKernels.rmsProp((RmsProp) rms), rms -> PlainArrayLoops.rmsProp((RmsProp) rms)),
    RMSPROP_CENTERED_1_13("rmsprop-centered-1.13", 4, width -> RmsProp.builder().centered(true)
            .semantics(Semantics.PYTORCH_1_13).vectorWidth(width).build(),
            rms -> StaticFinalSpeciesKernels.rmsProp((RmsProp) rms), rms -> PlainArrayLoops.rmsProp((RmsProp) rms)),
    ADAM("adam", 4, width -> Adam.builder().vectorWidth(width).build(),
            adam -> StaticFinalSpeciesKernels.adam((Adam) adam), adam -> PlainArrayLoops.adam((Adam) adam)),
    ADAM_1_13("adam-1.13", 4, width -> Adam.builder().semantics(Semantics.PYTORCH_1_13).vectorWidth(width).build(),
            adam -> StaticFinalSpeciesKernels.adam((Adam) adam), adam -> PlainArrayLoops.adam((Adam) adam)),
    AMSGRAD("amsgrad", 4, width -> Adam.builder().amsgrad(true).vectorWidth(width).build(),
            adam -> StaticFinalSpeciesKernels.adam((Adam) adam), adam -> PlainArrayLoops.adam((Adam) adam)),
    ADAMW("adamw", 4, width -> Adam.adamWBuilder().vectorWidth(width).build(),
            adam -> StaticFinalSpeciesKernels.adam((Adam) adam), adam -> PlainArrayLoops.adam((Adam) adam)),
    ADAGRAD("adagrad", 4, width -> Adagrad.builder().vectorWidth(width).build(),
            adagrad -> StaticFinalSpeciesKernels.adagrad((Adagrad) adagrad),
            adagrad -> PlainArrayLoops.adagrad((Adagrad) adagrad)),
    ADADELTA("adadelta", 4, width -> Adadelta.builder().vectorWidth(width).build(),
            adadelta -> StaticFinalSpeciesKernels.adadelta((Adadelta) adadelta),
            adadelta -> PlainArrayLoops.adadelta((Adadelta) adadelta)),
    ADAMAX("adamax", 4, width -> Adamax.builder().vectorWidth(width).build(),
            adamax -> StaticFinalSpeciesKernels.adamax((Adamax) adamax),
            adamax -> PlainArrayLoops.adamax((Adamax) adamax)),
    RPROP("rprop", 4, width -> Rprop.builder().vectorWidth(width).build(),
            rprop -> StaticFinalSpeciesKernels.rprop((Rprop) rprop), rprop -> PlainArrayLoops.rprop((Rprop) rprop)),
    RADAM("radam", 4, width -> RAdam.builder().vectorWidth(width).build(),
            radam -> StaticFinalSpeciesKernels.radam((RAdam) radam), radam -> PlainArrayLoops.radam((RAdam) radam)),
    NADAM("nadam", 4, width -> NAdam.builder().vectorWidth(width).build(),
            nadam -> StaticFinalSpeciesKernels.nadam((NAdam) nadam), nadam -> PlainArrayLoops.nadam((NAdam) nadam)),
    ASGD("asgd", 3, width -> Asgd.builder().vectorWidth(width).build(),
            asgd -> StaticFinalSpeciesKernels.asgd((Asgd) asgd), asgd -> PlainArrayLoops.asgd((Asgd) asgd));

    /** The step number every benchmark applies: past the first, so SGD runs its momentum path. */
    public static final long STEP = 10;

    private final String id;
    private final double scalarTarget;
    private final Function<VectorWidth, Algorithm> algorithm;
    private final Function<Algorithm, Stepper> staticFinalSpecies;
    private final Function<Algorithm, PlainArrayLoops.ArrayStepper> plainArrayLoop;

    Workload(String id, double scalarTarget, Function<VectorWidth, Algorithm> algorithm,
             Function<Algorithm, Stepper> staticFinalSpecies,
             Function<Algorithm, PlainArrayLoops.ArrayStepper> plainArrayLoop) {
        this.id = id;
        this.scalarTarget = scalarTarget;
        this.algorithm = algorithm;
        this.staticFinalSpecies = staticFinalSpecies;
        this.plainArrayLoop = plainArrayLoop;
    }

    public String id() {
        return id;
    }

    public static Workload of(String id) {
        return Arrays.stream(values()).filter(w -> w.id.equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no workload " + id + "; one of "
                        + Arrays.stream(values()).map(Workload::id).toList()));
    }

    /** The first workload of each optimizer: what the report measures unless told otherwise. */
    static List<Workload> onePerOptimizer() {
        return Arrays.stream(values()).filter(w -> Arrays.stream(values())
                .filter(other -> other.algorithm(VectorWidth.SCALAR).getClass() == w.algorithm(VectorWidth.SCALAR)
                        .getClass()).findFirst().orElseThrow() == w).toList();
    }

    /** This optimizer at a width. */
    public Algorithm algorithm(VectorWidth width) {
        return algorithm.apply(width);
    }

    /** The speed-up over the scalar reference it should reach in cache: less for SGD, which computes little. */
    double scalarTarget() {
        return scalarTarget;
    }

    /** The parameter and the state buffers the step writes: param, then each state buffer in order. */
    public int writtenBuffers() {
        return 1 + algorithm(VectorWidth.SCALAR).stateNames().size();
    }

    /** The scalars the optimizer keeps per parameter, after the state buffers in a step's state array. */
    public int scalars() {
        return algorithm(VectorWidth.SCALAR).scalarNames().size();
    }

    public RooflineShape rooflineShape() {
        return new RooflineShape(writtenBuffers());
    }

    /** Bytes one step reads and writes per element: the gradient once, every written buffer twice. */
    public long bytesPerElement() {
        return rooflineShape().bytesPerElement();
    }

    /**
     * One step over a parameter, its gradient and its state buffers in {@link Algorithm#stateNames()} order, then
     * its scalars.
     */
    public interface Stepper {
        void step(MemorySegment param, MemorySegment grad, MemorySegment[] state, long step);
    }

    /** One step of vecoptim's public API at a width. */
    public Stepper stepper(VectorWidth width) {
        Algorithm optimizer = algorithm(width);
        return (param, grad, state, step) -> optimizer.step(step, param, grad, state);
    }

    /** The hand-written loop with a static final species, its hyper-parameters read once, here. */
    Stepper staticFinalSpecies() {
        return staticFinalSpecies.apply(algorithm(VectorWidth.SCALAR));
    }

    /** The plain loop over {@code float[]}, its hyper-parameters read once, here. */
    PlainArrayLoops.ArrayStepper plainArrayLoop() {
        return plainArrayLoop.apply(algorithm(VectorWidth.SCALAR));
    }
}
