package dev.vecoptim.bench;

import dev.vecoptim.Algorithm;
import dev.vecoptim.Optimizers;
import dev.vecoptim.Parameter;
import dev.vecoptim.VectorWidth;
import dev.vecoptim.kernel.Vectorization;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.openjdk.jmh.annotations.Param;

/**
 * Runs every benchmark body once, outside JMH, and checks what it computed, so that no benchmark can
 * measure wrong code: vecoptim at every width and memory, the hand-written static final loops and the plain
 * {@code float[]} loops must equal the scalar reference bit for bit, and the roofline must have added the
 * gradient to every buffer it claims to move. Run by the unit tests in a JVM of its own (class path, like
 * the benchmarks); prints how many bodies it checked and exits with 1 on the first wrong one.
 */
public final class BenchmarkSelfCheck {
    private static final int ELEMENTS = 4096;
    private static int checked;

    private BenchmarkSelfCheck() {
    }

    public static void main(String[] args) throws NoSuchFieldException {
        List<String> workloads = Workload.values().stream().map(Workload::id).toList();
        Set<String> measured = Workload.values().stream()
                .map(workload -> workload.algorithm(VectorWidth.SCALAR).name()).collect(Collectors.toSet());
        List<String> unmeasured = Optimizers.pyTorchNames().stream().filter(name -> !measured.contains(name)).toList();
        if (!unmeasured.isEmpty()) {
            System.err.println("no workload measures " + unmeasured + " of the registry");
            System.exit(1);
        }
        List<String> widths = new ArrayList<>(Vectorization.PREFERABLE_WIDTHS.stream().map(String::valueOf).toList());
        widths.add(VectorWidth.PREFERRED.shortName());
        for (Class<?> benchmark : List.of(VecoptimBenchmark.class, RooflineBenchmark.class)) {
            List<String> params = List.of(benchmark.getField("width").getAnnotation(Param.class).value());
            if (!params.equals(widths)) {
                System.err.println(benchmark.getSimpleName() + "'s @Param width " + params + " is not " + widths);
                System.exit(1);
            }
        }
        List<String> layoutParams = List.of(LayoutBenchmark.class.getField("layout").getAnnotation(Param.class).value());
        List<String> layouts = java.util.Arrays.stream(Layout.values()).map(Layout::id).toList();
        if (!layoutParams.equals(layouts)) {
            System.err.println("LayoutBenchmark's @Param layout " + layoutParams + " is not " + layouts);
            System.exit(1);
        }
        try (Arena arena = Arena.ofConfined()) {
            for (Workload workload : Workload.values()) {
                for (String width : widths()) {
                    for (String memory : List.of("native", "heap")) {
                        VecoptimBenchmark vecoptim = configure(new VecoptimBenchmark(), workload);
                        vecoptim.width = width;
                        vecoptim.memory = memory;
                        checkStep("vecoptim " + width + " " + memory, arena, vecoptim, vecoptim::prepare, vecoptim::step);
                    }
                    checkRoofline(arena, workload, width);
                }
                ScalarReferenceBenchmark scalar = configure(new ScalarReferenceBenchmark(), workload);
                checkStep("scalar reference", arena, scalar, scalar::prepare, scalar::step);
                if (workload.hasBaselines()) {
                    PlainArrayLoopBenchmark plain = configure(new PlainArrayLoopBenchmark(), workload);
                    checkStep("plain float[] loop", arena, plain, plain::prepare, plain::step);
                    StaticFinalSpeciesBenchmark staticFinal = configure(new StaticFinalSpeciesBenchmark(), workload);
                    checkStep("static final species", arena, staticFinal, staticFinal::prepare, staticFinal::step);
                }
            }
            checkWholeModel(arena, "user");
            checkWholeModel(arena, "flat");
            checkArenaSwitch(arena);
            checkParallelRoofline(arena);
            for (Workload workload : Workload.values()) {
                for (Layout layout : Layout.values()) {
                    checkLayout(workload, layout);
                }
            }
        } catch (AssertionError e) {
            System.err.println("benchmark body wrong: " + e.getMessage());
            System.exit(1);
        }
        long withBaselines = Workload.values().stream().filter(Workload::hasBaselines).count();
        System.out.println("checked " + checked + " benchmark bodies of " + workloads.size() + " workloads ("
                + withBaselines + " with hand-written baselines) at " + widths().size()
                + " widths, whole models, an arena switch, the roofline on 2 threads and " + Layout.values().length
                + " layouts");
    }

    private static List<String> widths() {
        return VectorWidth.available().stream().filter(w -> w != VectorWidth.SCALAR).map(VectorWidth::shortName)
                .toList();
    }

    private static <B extends OptimizerBenchmark> B configure(B benchmark, Workload workload) {
        benchmark.optimizer = workload.id();
        benchmark.elements = ELEMENTS;
        return benchmark;
    }

    /** Sets the benchmark up, runs its body once, and compares with one step of the scalar reference. */
    private static void checkStep(String name, Arena arena, OptimizerBenchmark benchmark, Runnable prepare,
                                  Runnable body) {
        prepare.run();
        Workload workload = benchmark.workload();
        BenchmarkBuffers expected = reference(arena, workload, benchmark.buffers);
        body.run();
        String what = name + " " + workload.id();
        assertBytes(what + " grad", expected.grad, benchmark.buffers.grad);
        for (int b = 0; b < workload.writtenBuffers(); b++) {
            assertBytes(what + " buffer " + b, expected.written(b), benchmark.buffers.written(b));
        }
        for (int s = workload.writtenBuffers() - 1; s < expected.state.length; s++) {
            assertBytes(what + " scalar " + s, expected.state[s], benchmark.buffers.state[s]);
        }
        checked++;
        benchmark.tearDown();
    }

    /**
     * An optimizer on a layout: its step at the preferred width equals the same step at the scalar width, and its
     * roofline moved every buffer by the gradient.
     */
    private static void checkLayout(Workload workload, Layout layout) {
        LayoutBenchmark vector = layoutBenchmark(workload, layout, VectorWidth.PREFERRED);
        LayoutBenchmark scalar = layoutBenchmark(workload, layout, VectorWidth.SCALAR);
        vector.step();
        scalar.step();
        String what = workload.id() + " on " + layout.id();
        assertBytes(what + " param", scalar.buffers.param(), vector.buffers.param());
        assertBytes(what + " grad", scalar.buffers.grad(), vector.buffers.grad());
        for (int s = 0; s < vector.buffers.state().length; s++) {
            assertBytes(what + " state " + s, scalar.buffers.state()[s], vector.buffers.state()[s]);
        }
        checked++;
        MemorySegment[] before = new MemorySegment[vector.rooflineBuffers.length];
        for (int b = 0; b < before.length; b++) {
            before[b] = MemorySegment.ofArray(new byte[(int) vector.rooflineBuffers[b].byteSize()])
                    .copyFrom(vector.rooflineBuffers[b]);
        }
        vector.roofline();
        for (int b = 1; b < before.length; b++) {
            for (long i = 0; i < before[b].byteSize() / Float.BYTES; i++) {
                float expected = before[b].getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i)
                        + before[0].getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
                if (Float.compare(expected, vector.rooflineBuffers[b].getAtIndex(ValueLayout.JAVA_FLOAT, i)) != 0) {
                    throw new AssertionError(what + " roofline: buffer " + b + " element " + i + " was not moved");
                }
            }
        }
        checked++;
        vector.tearDown();
        scalar.tearDown();
    }

    private static LayoutBenchmark layoutBenchmark(Workload workload, Layout layout, VectorWidth width) {
        LayoutBenchmark benchmark = new LayoutBenchmark();
        benchmark.optimizer = workload.id();
        benchmark.layout = layout.id();
        benchmark.elements = ELEMENTS + 3;
        benchmark.width = width;
        benchmark.prepare();
        return benchmark;
    }

    /** A whole model of 16 parameters on two threads: its first step, parameter by parameter. */
    private static void checkWholeModel(Arena arena, String storage) {
        WholeModelBenchmark benchmark = new WholeModelBenchmark();
        benchmark.optimizer = "adam";
        benchmark.totalFloats = ELEMENTS;
        benchmark.parameters = 16;
        benchmark.threads = 2;
        benchmark.storage = storage;
        benchmark.prepare();
        checkFirstStep("whole model (" + storage + ")", arena, benchmark.optimizer, benchmark.model, benchmark::step);
        benchmark.tearDown();
    }

    /** Confined and shared parameters by turns, as the arena benchmark measures them. */
    private static void checkArenaSwitch(Arena arena) {
        ArenaSwitchBenchmark benchmark = new ArenaSwitchBenchmark();
        benchmark.optimizer = "adamw";
        benchmark.measureOn = "mixed";
        benchmark.prepare();
        checkFirstStep("arena switch (mixed)", arena, benchmark.optimizer, benchmark.model, benchmark::step);
        benchmark.tearDown();
    }

    /** Compares {@code step}, the first of {@code model}, with the scalar reference, parameter by parameter. */
    private static void checkFirstStep(String what, Arena arena, String optimizer, dev.vecoptim.Optimizer model,
                                       Runnable step) {
        Algorithm algorithm = Workload.of(optimizer).algorithm(VectorWidth.SCALAR);
        List<MemorySegment[]> expected = new java.util.ArrayList<>();
        for (Parameter parameter : model.groups().getFirst().parameters()) {
            MemorySegment[] buffers = new MemorySegment[2 + algorithm.stateNames().size()];
            buffers[0] = arena.allocate(parameter.value().byteSize()).copyFrom(parameter.value());
            buffers[1] = arena.allocate(parameter.grad().byteSize()).copyFrom(parameter.grad());
            for (int s = 2; s < buffers.length; s++) {
                buffers[s] = arena.allocate(parameter.value().byteSize());
            }
            algorithm.step(1, buffers[0], buffers[1], java.util.Arrays.copyOfRange(buffers, 2, buffers.length));
            expected.add(buffers);
        }
        step.run();
        List<Parameter> parameters = model.groups().getFirst().parameters();
        for (int p = 0; p < parameters.size(); p++) {
            assertBytes(what + " parameter " + p, expected.get(p)[0], parameters.get(p).value());
        }
        checked++;
    }

    private static void checkRoofline(Arena arena, Workload workload, String width) {
        RooflineBenchmark benchmark = configure(new RooflineBenchmark(), workload);
        benchmark.width = width;
        benchmark.prepare();
        BenchmarkBuffers before = new BenchmarkBuffers(arena, benchmark.buffers);
        benchmark.touch();
        assertMovedByTheGradient("roofline " + workload.id() + " " + width, workload, before, benchmark.buffers);
        benchmark.tearDown();
    }

    /** The two-thread roofline: every element of every buffer moved once, by one of the threads. */
    private static void checkParallelRoofline(Arena arena) {
        ParallelRooflineBenchmark benchmark = new ParallelRooflineBenchmark();
        benchmark.optimizer = "adam";
        benchmark.totalFloats = ELEMENTS;
        benchmark.threads = 2;
        benchmark.prepare();
        BenchmarkBuffers before = new BenchmarkBuffers(arena, benchmark.buffers());
        benchmark.touch();
        assertMovedByTheGradient("roofline on 2 threads", Workload.of("adam"), before, benchmark.buffers());
        benchmark.tearDown();
    }

    private static void assertMovedByTheGradient(String what, Workload workload, BenchmarkBuffers before,
                                                 BenchmarkBuffers after) {
        for (int b = 0; b < workload.writtenBuffers(); b++) {
            for (long i = 0; i < ELEMENTS; i++) {
                float expected = before.written(b).getAtIndex(ValueLayout.JAVA_FLOAT, i)
                        + before.grad.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                if (Float.compare(expected, after.written(b).getAtIndex(ValueLayout.JAVA_FLOAT, i)) != 0) {
                    throw new AssertionError(what + ": buffer " + b + " element " + i + " was not moved");
                }
            }
        }
        assertBytes(what + " grad", before.grad, after.grad);
        checked++;
    }

    /** The buffers after one scalar-reference step from a copy of {@code before}. */
    private static BenchmarkBuffers reference(Arena arena, Workload workload, BenchmarkBuffers before) {
        BenchmarkBuffers copy = new BenchmarkBuffers(arena, before);
        workload.stepper(VectorWidth.SCALAR).step(copy.param, copy.grad, copy.state, Workload.STEP);
        return copy;
    }

    private static void assertBytes(String what, MemorySegment expected, MemorySegment actual) {
        long mismatch = MemorySegment.mismatch(expected, 0, expected.byteSize(), actual, 0, actual.byteSize());
        if (mismatch >= 0) {
            throw new AssertionError(what + " differs at byte " + mismatch);
        }
    }
}
