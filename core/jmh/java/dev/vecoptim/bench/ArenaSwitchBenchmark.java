package dev.vecoptim.bench;

import dev.vecoptim.Optimizer;
import dev.vecoptim.ParameterGroup;
import dev.vecoptim.StepReport;
import dev.vecoptim.VectorWidth;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A model of {@link #PARAMETERS} parameters stepped by {@link Optimizer#step()} on one thread, in memory of
 * the arena kind {@code measureOn}, after a model in memory of the kind {@code warmOn} has been stepped until C2
 * compiled it: what a program that switches arenas meets. {@code mixed} is confined and shared parameters by
 * turns. A benchmark over one kind of arena cannot see how one kind's profile spoils the code for another.
 */
public class ArenaSwitchBenchmark extends ForkedBenchmark {
    static final int PARAMETERS = 16;
    static final int FLOATS = 1 << 16;

    @Param({"adamw"})
    public String optimizer;
    @Param({"shared", "confined"})
    public String warmOn;
    @Param({"shared", "confined", "auto", "global", "mixed"})
    public String measureOn;

    Optimizer model;
    private final List<Arena> arenas = new ArrayList<>();

    @Setup
    public void setUp() {
        try (Optimizer warm = build(warmOn)) {
            CompiledWarmup.untilCompiled(warm::step);
        }
        prepare();
    }

    /** Builds the measured model: all the self-check sets up. */
    void prepare() {
        model = build(measureOn);
    }

    private Optimizer build(String kind) {
        Optimizer built = Optimizer.builder().helpers(Runnable::run, 0).build();
        ParameterGroup group = built.addGroup(Workload.of(optimizer).algorithm(VectorWidth.PREFERRED));
        for (int p = 0; p < PARAMETERS; p++) {
            Arena arena = arena(kind.equals("mixed") ? (p % 2 == 0 ? "confined" : "shared") : kind);
            MemorySegment value = arena.allocate((long) FLOATS * Float.BYTES, 64);
            MemorySegment grad = arena.allocate((long) FLOATS * Float.BYTES, 64);
            for (int i = 0; i < FLOATS; i++) {
                value.setAtIndex(ValueLayout.JAVA_FLOAT, i, 0.1f * (float) Math.sin(p + i));
                grad.setAtIndex(ValueLayout.JAVA_FLOAT, i, 0.01f * (float) Math.cos(p + 3 * i));
            }
            group.add(value, grad);
        }
        return built;
    }

    private Arena arena(String kind) {
        Arena arena = switch (kind) {
            case "confined" -> Arena.ofConfined();
            case "shared" -> Arena.ofShared();
            case "auto" -> Arena.ofAuto();
            case "global" -> Arena.global();
            default -> throw new IllegalArgumentException("no arena kind " + kind);
        };
        arenas.add(arena);
        return arena;
    }

    @Benchmark
    public StepReport step() {
        return model.step();
    }

    @TearDown
    public void tearDown() {
        model.close();
        for (Arena arena : arenas) {
            try {
                arena.close();
            } catch (UnsupportedOperationException globalOrAutomatic) {
                // Arena.global() is never freed, and Arena.ofAuto() by the garbage collector.
            }
        }
        arenas.clear();
    }
}
