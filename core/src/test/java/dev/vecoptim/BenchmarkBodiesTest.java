package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Every JMH benchmark body under jmh/ computes what it claims: the benchmarks' own self-check, run as the
 * benchmarks run (class path, incubator module added), must check them all and find none wrong.
 */
class BenchmarkBodiesTest {
    @Test
    void everyBenchmarkBodyEqualsTheScalarReference() throws Exception {
        JdkTool.Output output = JdkTool.runBenchmarkMain("dev.vecoptim.bench.BenchmarkSelfCheck");
        int widths = VectorWidth.available().size() - 1;
        java.util.regex.Matcher said = java.util.regex.Pattern.compile("checked (\\d+) benchmark bodies of (\\d+) "
                + "workloads \\((\\d+) with hand-written baselines\\) at " + widths
                + " widths, whole models, an arena switch, the roofline on 2 threads and (\\d+) layouts").matcher(output.stdout().strip());
        assertTrue(said.matches(), output.stdout() + output.stderr());
        int workloads = Integer.parseInt(said.group(2));
        int withBaselines = Integer.parseInt(said.group(3));
        // Per workload: vecoptim at each width on native and heap memory, the roofline at each width and the
        // scalar reference; per workload with baselines, the float[] loop and the hand-written static final species
        // loop; the whole model on user-owned and on flat storage, the arena switch, and the roofline on two
        // threads; and per workload and layout of its dtypes, its step and its roofline.
        int layouts = Integer.parseInt(said.group(4));
        assertEquals(workloads * (3 * widths + 1) + 2 * withBaselines + 4 + 2 * workloads * layouts,
                Integer.parseInt(said.group(1)), output.stdout());
        assertTrue(layouts >= 7, output.stdout());
        assertTrue(withBaselines > 0 && withBaselines <= workloads, output.stdout());
        assertTrue(workloads >= TestedOptimizers.ALL.size() - 1, "fewer workloads than optimizers");
    }
}
