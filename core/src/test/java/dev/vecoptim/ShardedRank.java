package dev.vecoptim;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One process of {@link ShardedOptimizerMpiTest}'s job, started by {@code mpirun}: steps {@link ShardedOptimizer}s
 * with gradients that differ from process to process, beside an {@link Optimizer} of its own that steps the same
 * groups with the averaged gradients (every process can compute every process's gradients, which are drawn from
 * the process's number), and prints one line per scenario, {@code rank R of N: <scenario> OK} or what went wrong;
 * {@code save=<directory>} and {@code resume=<directory>} name the directory of the files they share.
 */
public final class ShardedRank {
    /** Odd sizes, an empty parameter among them, so that shards cut parameters anywhere. */
    private static final long[] FIRST_GROUP = {1000, 3, 77, 0, 129};
    private static final long[] SECOND_GROUP = {5};
    private static final int STEPS = 4;

    private ShardedRank() {
    }

    public static void main(String[] args) {
        try (World world = World.join()) {
            List<String> verdicts = new ArrayList<>();
            for (String scenario : args) {
                String verdict;
                try {
                    String[] nameAndDirectory = scenario.split("=", 2);
                    verdict = switch (nameAndDirectory[0]) {
                        case "equal" -> ShardedScenarios.equalToOneProcess(world);
                        case "nonfinite" -> ShardedScenarios.nonFiniteDecidedTogether(world);
                        case "refusals" -> ShardedScenarios.refusedOnEveryProcess(world);
                        case "save" -> both(ShardedFileScenarios.save(world, java.nio.file.Path.of(nameAndDirectory[1])),
                                ShardedFileScenarios.sixteenBitFiles(world, java.nio.file.Path.of(nameAndDirectory[1]),
                                        true));
                        case "resume" -> both(ShardedFileScenarios.resume(world,
                                java.nio.file.Path.of(nameAndDirectory[1])), ShardedFileScenarios.sixteenBitFiles(world,
                                java.nio.file.Path.of(nameAndDirectory[1]), false));
                        case "sixteen" -> ShardedSixteenBitScenarios.equalToOneProcess(world);
                        case "die" -> ShardedScenarios.lastProcessDiesInAStep(world);
                        case "partial" -> ShardedScenarios.partialStepsEqualOneProcess(world,
                                java.nio.file.Path.of(nameAndDirectory[1]));
                        default -> "no scenario " + scenario;
                    };
                } catch (RuntimeException | AssertionError e) {
                    verdict = "threw " + e;
                }
                verdicts.add(scenario.split("=")[0] + " " + verdict);
            }
            System.out.println("rank " + world.rank() + " of " + world.size() + ": " + String.join(", ", verdicts));
        }
    }

    /** {@return OK when both verdicts are, else both} */
    private static String both(String first, String second) {
        return first.equals("OK") && second.equals("OK") ? "OK" : first + "; " + second;
    }

    /** Process {@code process}'s gradient at step {@code step}: the same numbers whichever process draws them. */
    static float gradient(long seed, int step, int process, long i) {
        return (float) new SplittableRandom(seed * 1_000_003 + step * 7919L + process * 104_729L + i).nextDouble(-2, 2);
    }

    static long[] firstGroup() {
        return FIRST_GROUP.clone();
    }

    static long[] secondGroup() {
        return SECOND_GROUP.clone();
    }

    static int steps() {
        return STEPS;
    }

    /** Starts a group's {@code values} where every process starts them: element {@code i} of the group at sin(i). */
    static void start(List<MemorySegment> values) {
        int i = 0;
        for (MemorySegment value : values) {
            for (long e = 0; e < value.byteSize() / Float.BYTES; e++, i++) {
                value.setAtIndex(ValueLayout.JAVA_FLOAT, e, (float) Math.sin(i));
            }
        }
    }

    /** Fills {@code grads} with process {@code process}'s gradients, element {@code i} of the group its {@code i}. */
    static void fill(List<MemorySegment> grads, long seed, int step, int process) {
        long i = 0;
        for (MemorySegment grad : grads) {
            for (long e = 0; e < grad.byteSize() / Float.BYTES; e++, i++) {
                grad.setAtIndex(ValueLayout.JAVA_FLOAT, e, gradient(seed, step, process, i));
            }
        }
    }

    /** The average of every process's gradients as {@link ShardedOptimizer} defines it in rank order. */
    static void fillAverage(List<MemorySegment> grads, long seed, int step, int processes) {
        float factor = 1f / processes;
        long i = 0;
        for (MemorySegment grad : grads) {
            for (long e = 0; e < grad.byteSize() / Float.BYTES; e++, i++) {
                float sum = gradient(seed, step, 0, i) * factor;
                for (int p = 1; p < processes; p++) {
                    sum += gradient(seed, step, p, i) * factor;
                }
                grad.setAtIndex(ValueLayout.JAVA_FLOAT, e, sum);
            }
        }
    }
}
