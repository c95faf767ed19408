package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Steps reach compiled speed whatever kind of arena the parameters live in, and stay there: no loop of
 * deoptimizations of the kernels. Counted in a JVM of its own ({@link dev.vecoptim.probe.ArenaKindsProbe}) through
 * {@code -Xlog:deoptimization}, not timed: before the optimizer kept the state of confined parameters confined too,
 * the confined runs below logged one "profile_predicate" deoptimization of a kernel after another (and ran at
 * 3–63 steps per second for about 25 seconds), because C2 hoisted the segments' owner check out of the kernel's
 * loop where it failed for the optimizer's shared state.
 */
class ArenaKindsTest {
    private static final Pattern KERNEL_TRAP = Pattern.compile("dev\\.vecoptim\\.kernel\\.\\w+Vector.*profile_predicate");

    /**
     * Each case: the optimizer, the arena kind of each phase, and JVM options. Confined and shared parameters in one
     * JVM ("mixed") still make C2 trap, which only {@code -XX:-UseProfiledLoopPredicate} prevents (measured: no cost
     * on the kernels): the README says so, and the last case proves the workaround.
     */
    @ParameterizedTest
    @CsvSource({"'', true", "-XX:-UseProfiledLoopPredicate, false"})
    void confinedAndOwnerlessParametersInOneJvmAreWarnedAboutUnlessC2IsToldNotToMindThem(String option,
                                                                                         boolean warned) {
        List<String> arguments = new java.util.ArrayList<>(List.of("--add-modules", "jdk.incubator.vector", "-cp",
                JdkTool.classPath(JdkTool.CLASSES, JdkTool.jackson(), JdkTool.TEST_CLASSES)));
        if (!option.isEmpty()) {
            arguments.add(option);
        }
        arguments.addAll(List.of("dev.vecoptim.probe.ArenaKindsProbe", "sgd", "1", "confined", "shared"));
        JdkTool.Output output = JdkTool.run("java", arguments.toArray(String[]::new));
        assertEquals(warned, output.stderr().contains("group 0 parameter 0 is in memory of no owner thread, and other"
                + " parameters in this JVM in memory confined to a thread: C2 may then recompile the steps over memory of"
                + " no owner again and again"), output.stderr());
    }

    @ParameterizedTest
    @CsvSource({"adamw, confined, ''", "sgd, confined, ''", "rmsprop, confined, ''", "nadam, confined, ''",
        "adamw, shared, ''", "adamw, auto, ''", "adamw, global, ''", "adamw, confined confined, ''",
        "adamw, shared auto global, ''", "adamw, mixed, -XX:-UseProfiledLoopPredicate"})
    void kernelsAreNotDeoptimizedAgainAndAgainWhateverTheArena(String optimizer, String kinds, String option) {
        List<String> arguments = new java.util.ArrayList<>(List.of("-Xlog:deoptimization=debug", "--add-modules",
                "jdk.incubator.vector", "-cp", JdkTool.classPath(JdkTool.CLASSES, JdkTool.jackson(), JdkTool.TEST_CLASSES)));
        if (!option.isEmpty()) {
            arguments.add(option);
        }
        arguments.addAll(List.of("dev.vecoptim.probe.ArenaKindsProbe", optimizer, "600"));
        arguments.addAll(List.of(kinds.split(" ")));
        JdkTool.Output output = JdkTool.run("java", arguments.toArray(String[]::new));
        for (String kind : kinds.split(" ")) {
            assertTrue(output.stdout().contains(kind + ": 600 steps"), output.stdout());
        }
        Matcher traps = KERNEL_TRAP.matcher(output.stdout());
        long count = 0;
        while (traps.find()) {
            count++;
        }
        assertEquals(0, count, "profile_predicate deoptimizations of a kernel:\n" + output.stdout().lines()
                .filter(line -> KERNEL_TRAP.matcher(line).find()).limit(5).toList());
    }
}
