package dev.vecoptim.bench;

import dev.vecoptim.Adadelta;
import dev.vecoptim.Adagrad;
import dev.vecoptim.Adam;
import dev.vecoptim.Adamax;
import dev.vecoptim.Algorithm;
import dev.vecoptim.Asgd;
import dev.vecoptim.NAdam;
import dev.vecoptim.Optimizers;
import dev.vecoptim.RAdam;
import dev.vecoptim.RmsProp;
import dev.vecoptim.Rprop;
import dev.vecoptim.Semantics;
import dev.vecoptim.Sgd;
import dev.vecoptim.VectorWidth;
import dev.vecoptim.kernel.RooflineShape;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The optimizer configurations the benchmarks measure: the benchmarks' one list of them, made of the configurations
 * chosen here (with the hyper-parameters users run: PyTorch's defaults, momentum 0.9, under PyTorch 2.x's semantics,
 * and the two that 1.13's round differently) and, for every optimizer of the registry ({@link Optimizers}) that
 * none of them runs, the optimizer at its defaults, named by its PyTorch name in lower case. A chosen
 * configuration may have hand-written baselines: a static final species loop and a plain {@code float[]} loop;
 * the speed-up it should reach over the scalar reference in cache is {@value #SCALAR_TARGET} unless it says less.
 */
public final class Workload {
    private static final double SCALAR_TARGET = 4;
    private static final List<Workload> CHOSEN = List.of(
            chosen("sgd-momentum", 3, width -> Sgd.builder(0.01).momentum(0.9).vectorWidth(width).build(),
                    StaticFinalSpeciesKernels::sgd, PlainArrayLoops::sgd),
            chosen("sgd-nesterov", 3, width -> Sgd.builder(0.01).momentum(0.9).nesterov(true).vectorWidth(width)
                    .build(), StaticFinalSpeciesKernels::sgd, PlainArrayLoops::sgd),
            chosen("rmsprop", SCALAR_TARGET, width -> RmsProp.builder().vectorWidth(width).build(),
                    StaticFinalSpeciesKernels::rmsProp, PlainArrayLoops::rmsProp),
            chosen("rmsprop-centered", SCALAR_TARGET, width -> RmsProp.builder().centered(true).vectorWidth(width)
                    .build(), StaticFinalSpeciesKernels::rmsProp, PlainArrayLoops::rmsProp),
            chosen("rmsprop-centered-1.13", SCALAR_TARGET, width -> RmsProp.builder().centered(true)
                    .semantics(Semantics.PYTORCH_1_13).vectorWidth(width).build(),
                    StaticFinalSpeciesKernels::rmsProp, PlainArrayLoops::rmsProp),
            chosen("adam", SCALAR_TARGET, width -> Adam.builder().vectorWidth(width).build(),
                    StaticFinalSpeciesKernels::adam, PlainArrayLoops::adam),
            chosen("adam-1.13", SCALAR_TARGET, width -> Adam.builder().semantics(Semantics.PYTORCH_1_13)
                    .vectorWidth(width).build(), StaticFinalSpeciesKernels::adam, PlainArrayLoops::adam),
            chosen("amsgrad", SCALAR_TARGET, width -> Adam.builder().amsgrad(true).vectorWidth(width).build(),
                    StaticFinalSpeciesKernels::adam, PlainArrayLoops::adam),
            chosen("adamw", SCALAR_TARGET, width -> Adam.adamWBuilder().vectorWidth(width).build(),
                    StaticFinalSpeciesKernels::adam, PlainArrayLoops::adam),
            chosen("adagrad", SCALAR_TARGET, width -> Adagrad.builder().vectorWidth(width).build(),
                    StaticFinalSpeciesKernels::adagrad, PlainArrayLoops::adagrad),
            chosen("adadelta", SCALAR_TARGET, width -> Adadelta.builder().vectorWidth(width).build(),
                    StaticFinalSpeciesKernels::adadelta, PlainArrayLoops::adadelta),
            chosen("adamax", SCALAR_TARGET, width -> Adamax.builder().vectorWidth(width).build(),
                    StaticFinalSpeciesKernels::adamax, PlainArrayLoops::adamax),
            chosen("rprop", SCALAR_TARGET, width -> Rprop.builder().vectorWidth(width).build(),
                    StaticFinalSpeciesKernels::rprop, PlainArrayLoops::rprop),
            chosen("radam", SCALAR_TARGET, width -> RAdam.builder().vectorWidth(width).build(),
                    StaticFinalSpeciesKernels::radam, PlainArrayLoops::radam),
            chosen("nadam", SCALAR_TARGET, width -> NAdam.builder().vectorWidth(width).build(),
                    StaticFinalSpeciesKernels::nadam, PlainArrayLoops::nadam),
            chosen("asgd", 3, width -> Asgd.builder().vectorWidth(width).build(),
                    StaticFinalSpeciesKernels::asgd, PlainArrayLoops::asgd));
    private static final List<Workload> ALL = all();

    /** The step number every benchmark applies: past the first, so SGD runs its momentum path. */
    public static final long STEP = 10;

    private final String id;
    private final double scalarTarget;
    private final Function<VectorWidth, Algorithm> algorithm;
    private final Supplier<Stepper> staticFinalSpecies;
    private final Supplier<PlainArrayLoops.ArrayStepper> plainArrayLoop;

    private Workload(String id, double scalarTarget, Function<VectorWidth, Algorithm> algorithm,
                     Supplier<Stepper> staticFinalSpecies, Supplier<PlainArrayLoops.ArrayStepper> plainArrayLoop) {
        this.id = id;
        this.scalarTarget = scalarTarget;
        this.algorithm = algorithm;
        this.staticFinalSpecies = staticFinalSpecies;
        this.plainArrayLoop = plainArrayLoop;
    }

    /** A configuration chosen here, with its hand-written baselines, which read its hyper-parameters once. */
    private static <A extends Algorithm> Workload chosen(String id, double scalarTarget,
            Function<VectorWidth, A> algorithm, Function<A, Stepper> staticFinalSpecies,
            Function<A, PlainArrayLoops.ArrayStepper> plainArrayLoop) {
        return new Workload(id, scalarTarget, algorithm::apply,
                () -> staticFinalSpecies.apply(algorithm.apply(VectorWidth.SCALAR)),
                () -> plainArrayLoop.apply(algorithm.apply(VectorWidth.SCALAR)));
    }

    /**
     * The chosen configurations, then the registry's optimizers that none of them runs, at the hyper-parameters their
     * declarations give the benchmarks ({@link Optimizers#benchmarked}: their defaults, unless those skip what a step
     * costs).
     */
    private static List<Workload> all() {
        List<Workload> all = new ArrayList<>(CHOSEN);
        Set<String> run = CHOSEN.stream().map(w -> w.algorithm(VectorWidth.SCALAR).name()).collect(Collectors.toSet());
        for (String name : Optimizers.pyTorchNames()) {
            if (!run.contains(name)) {
                all.add(new Workload(name.toLowerCase(Locale.ROOT), SCALAR_TARGET,
                        width -> Optimizers.benchmarked(name).withVectorWidth(width), null, null));
            }
        }
        return List.copyOf(all);
    }

    /** {@return every workload, the chosen ones first} */
    public static List<Workload> values() {
        return ALL;
    }

    public String id() {
        return id;
    }

    public static Workload of(String id) {
        return ALL.stream().filter(w -> w.id.equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no workload " + id + "; one of "
                        + ALL.stream().map(Workload::id).toList()));
    }

    /** The first workload of each optimizer: what the report measures unless told otherwise. */
    static List<Workload> onePerOptimizer() {
        return ALL.stream().filter(w -> ALL.stream()
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

    /** The size of each scalar the optimizer keeps per parameter, after the state buffers in a step's state array. */
    public java.util.List<Integer> scalarBytes() {
        return algorithm(VectorWidth.SCALAR).scalarBytes();
    }

    /**
     * Its step's bytes: the gradient read, the written buffers read and written, and for a layer-wise optimizer those
     * it reads once more before ({@link Algorithm#wholeParameterReads()}).
     */
    public RooflineShape rooflineShape() {
        return new RooflineShape(writtenBuffers(), algorithm(VectorWidth.SCALAR).wholeParameterReads());
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

    /** {@return whether hand-written baselines were written for it: a static final species and a float[] loop} */
    boolean hasBaselines() {
        return staticFinalSpecies != null;
    }

    /** The hand-written loop with a static final species, its hyper-parameters read once, here. */
    Stepper staticFinalSpecies() {
        return baseline(staticFinalSpecies);
    }

    /** The plain loop over {@code float[]}, its hyper-parameters read once, here. */
    PlainArrayLoops.ArrayStepper plainArrayLoop() {
        return baseline(plainArrayLoop);
    }

    private <T> T baseline(Supplier<T> loop) {
        if (loop == null) {
            throw new IllegalStateException(id + " has no hand-written baselines; Report measures them only for the"
                    + " workloads that have them");
        }
        return loop.get();
    }

    @Override
    public String toString() {
        return id;
    }
}
