package dev.vecoptim.probe;

import dev.vecoptim.Adam;
import dev.vecoptim.Algorithm;
import dev.vecoptim.NAdam;
import dev.vecoptim.Optimizer;
import dev.vecoptim.ParameterGroup;
import dev.vecoptim.RmsProp;
import dev.vecoptim.Sgd;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Run in a JVM of its own by {@code ArenaKindsTest}: steps a model whose parameters live in memory of the arena
 * kinds given, as a user's program would (gradients filled through {@code MemorySegment.setAtIndex}, so the
 * user's own accesses shape the JVM's profile too), then prints the steps made. Arguments: the optimizer
 * ({@code sgd}, {@code rmsprop}, {@code adamw}, {@code nadam}), the steps, then one arena kind per phase
 * ({@code confined}, {@code shared}, {@code auto}, {@code global}, or {@code mixed}: confined and shared
 * parameters by turns); each phase registers a new model in that kind of memory in a new optimizer and steps it.
 */
public final class ArenaKindsProbe {
    private static final int TENSORS = 16;
    private static final int FLOATS = 1 << 14;

    private ArenaKindsProbe() {
    }

    public static void main(String[] args) {
        Algorithm algorithm = switch (args[0]) {
            case "sgd" -> Sgd.builder(0.01).momentum(0.9).build();
            case "rmsprop" -> RmsProp.builder().centered(true).build();
            case "nadam" -> NAdam.builder().build();
            default -> Adam.adamWBuilder().build();
        };
        int steps = Integer.parseInt(args[1]);
        for (int phase = 2; phase < args.length; phase++) {
            Arena[] arenas = switch (args[phase]) {
                case "confined" -> new Arena[] {Arena.ofConfined()};
                case "shared" -> new Arena[] {Arena.ofShared()};
                case "auto" -> new Arena[] {Arena.ofAuto()};
                case "mixed" -> new Arena[] {Arena.ofConfined(), Arena.ofShared()};
                default -> new Arena[] {Arena.global()};
            };
            try (Optimizer optimizer = Optimizer.builder().build()) {
                ParameterGroup group = optimizer.addGroup(algorithm);
                MemorySegment[] grads = new MemorySegment[TENSORS];
                for (int t = 0; t < TENSORS; t++) {
                    Arena arena = arenas[t % arenas.length];
                    MemorySegment value = arena.allocate(4L * FLOATS, 64);
                    grads[t] = arena.allocate(4L * FLOATS, 64);
                    for (int i = 0; i < FLOATS; i++) {
                        value.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) Math.sin(i + t));
                    }
                    group.add(value, grads[t]);
                }
                for (int s = 0; s < steps; s++) {
                    MemorySegment grad = grads[s % TENSORS];
                    for (int i = 0; i < FLOATS; i++) {
                        grad.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) Math.cos(i * (s + 1)) * 1e-3f);
                    }
                    optimizer.step();
                }
                System.out.println(args[phase] + ": " + optimizer.stepCount() + " steps");
            }
        }
    }
}
