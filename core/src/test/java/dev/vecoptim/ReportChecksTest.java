package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * How the benchmark report judges its rows (INVALID when a step allocates like uncompiled code or the error bar
 * is wider than the value, and no verdict on those) and reads PyTorch's answers: the report's own check on
 * synthetic JMH results, run as the report runs (class path, incubator module added).
 */
class ReportChecksTest {
    @Test
    void theReportMarksRowsThatAreNotMeasurementsOfCompiledCodeInvalid() throws Exception {
        JdkTool.Output output = JdkTool.runBenchmarkMain("dev.vecoptim.bench.ReportSelfCheck");
        assertEquals("checked 24 report cases", output.stdout().strip(), output.stdout() + output.stderr());
    }
}
