package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Every JMH benchmark body under jmh/ computes what it claims: the benchmarks' own self-check, run as the
 * benchmarks run (class path, incubator module added), must check them all and find none wrong.
 */
class BenchmarkBodiesTest {
    private static final String JMH_CLASSES = System.getProperty("vecoptim.jmhClasses", "target/jmh-classes");

    @Test
    void everyBenchmarkBodyEqualsTheScalarReference() {
        JdkTool.Output output = JdkTool.run("java", "--add-modules", "jdk.incubator.vector", "-cp",
                JdkTool.classPath(JdkTool.CLASSES, JMH_CLASSES), "dev.vecoptim.bench.BenchmarkSelfCheck");
        int widths = VectorWidth.available().size() - 1;
        int workloads = 7;
        // Per workload: vecoptim at each width on native and heap memory, the roofline at each width, the
        // scalar reference, the float[] loop and the hand-written static final species loop.
        int bodies = workloads * (3 * widths + 3);
        assertEquals("checked " + bodies + " benchmark bodies", output.stdout().strip(), output.stderr());
    }
}
