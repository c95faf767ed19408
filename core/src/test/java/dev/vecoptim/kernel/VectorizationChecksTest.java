package dev.vecoptim.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vecoptim.RecordingLogger;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import jdk.incubator.vector.VectorShape;
import org.junit.jupiter.api.Test;

/**
 * The checks that choose vector or scalar kernels, fed with what each kind of JVM says of itself: the same
 * checks the child JVMs of {@code FallbackTest} run for real, here one by one and in this JVM, where a mutation
 * test can see them.
 */
class VectorizationChecksTest {
    private static final String SERVER = "mixed mode, sharing";

    private static Function<String, String> options(Map<String, String> values) {
        return values::get;
    }

    @Test
    void aServerJvmWithTheModuleRunsVectorKernels() {
        assertNull(Vectorization.whyNotVector(true, SERVER, options(Map.of("UseCompiler", "true", "TieredCompilation", "true",
                "TieredStopAtLevel", "4", "UseJVMCICompiler", "false"))));
        assertNull(Vectorization.whyNotVector(true, SERVER, options(Map.of())), "a JVM without HotSpot's options");
        assertNull(Vectorization.whyNotVector(true, SERVER, options(Map.of("TieredCompilation", "false",
                "TieredStopAtLevel", "1"))), "without tiers, C2 compiles everything");
    }

    @Test
    void eachReasonToRunScalarIsFoundAndNamesItsFix() {
        assertEquals("the jdk.incubator.vector module is not resolved; start java with --add-modules "
                + "jdk.incubator.vector to enable SIMD", Vectorization.whyNotVector(false, SERVER, options(Map.of())));
        assertEquals("the JVM interprets only (-Xint), and the Vector API is 10-100x slower without C2",
                Vectorization.whyNotVector(true, "interpreted mode, sharing", options(Map.of())));
        assertEquals("C2 is off (-XX:TieredStopAtLevel=1 or a client mode), and the Vector API is 10-100x slower "
                + "without it", Vectorization.whyNotVector(true, "mixed mode, emulated-client, sharing", options(Map.of())));
        assertEquals("the JIT compiler is off (-XX:-UseCompiler), and the Vector API is 10-100x slower without C2",
                Vectorization.whyNotVector(true, SERVER, options(Map.of("UseCompiler", "false"))));
        assertEquals("C2 is off (-XX:TieredStopAtLevel=3), and the Vector API is 10-100x slower without it",
                Vectorization.whyNotVector(true, SERVER, options(Map.of("TieredCompilation", "true", "TieredStopAtLevel", "3"))));
        assertEquals("a JVMCI compiler replaces C2, and does not compile the Vector API to SIMD instructions",
                Vectorization.whyNotVector(true, SERVER, options(Map.of("UseJVMCICompiler", "true"))));
    }

    /** A factory whose CPU prefers vectors of {@code bits}; it makes no kernel. */
    private record Factory(int preferredBits) implements VectorKernelFactory {
        @Override
        public <K> K kernel(String template, Class<K> kernelType, int bits, Format dtype, Record flags) {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void theDecisionIsSaidOnceAndNeedsVectorsOf128BitsOrMore() {
        RecordingLogger log = new RecordingLogger();
        Vectorization vectors = Vectorization.decide(null, () -> new Factory(256), log);
        assertEquals(256, vectors.preferredBits());
        assertTrue(vectors.enabled());
        assertNull(vectors.scalarReason());
        assertEquals(256, vectors.factory().preferredBits());
        assertEquals(List.of("INFO vecoptim runs its vector kernels; preferred width 256 bits"), log.lines);

        RecordingLogger narrow = new RecordingLogger();
        Vectorization scalar = Vectorization.decide(null, () -> new Factory(64), narrow);
        assertEquals(0, scalar.preferredBits());
        assertEquals("the CPU's preferred vector size is 64 bits; below 128 the Vector API is slower than the scalar"
                + " loops", scalar.scalarReason());
        assertEquals(List.of("WARNING vecoptim runs its scalar loops: " + scalar.scalarReason()), narrow.lines);
        assertEquals(128, Vectorization.decide(null, () -> new Factory(128), new RecordingLogger()).preferredBits());

        Vectorization unloadable = Vectorization.decide(null, () -> {
            throw new NoClassDefFoundError("jdk/incubator/vector/VectorSpecies");
        }, new RecordingLogger());
        assertEquals("the vector kernels cannot be loaded: java.lang.NoClassDefFoundError: "
                + "jdk/incubator/vector/VectorSpecies", unloadable.scalarReason());
        assertEquals(0, unloadable.preferredBits());

        Vectorization refused = Vectorization.decide("no module", () -> {
            throw new AssertionError("a factory was loaded though vectors are off");
        }, new RecordingLogger());
        assertEquals("no module", refused.scalarReason());
        assertEquals("scalar loop: no module", refused.describe(0));
        assertEquals(List.of(), refused.explicitWidths());
    }

    @Test
    void thisJvmsOptionsAreRead() {
        Function<String, String> options = Vectorization.vmOptions();
        assertEquals("true", options.apply("UseCompiler"));
        assertNull(options.apply("NoSuchOptionInAnyJvm"));
        assertTrue(Vectorization.thisJvm().enabled(), "the tests run with the module and C2");
        assertTrue(Vectorization.vectorModuleResolved());
        assertEquals(VectorShape.preferredShape().vectorBitSize(), Vectorization.loadPanamaKernels().preferredBits());
    }

    @Test
    void theFactoryReportsTheMachinesWidthAndTheNormIsNeverNarrowerThan128Bits() {
        PanamaKernels factory = new PanamaKernels();
        assertEquals(VectorShape.preferredShape().vectorBitSize(), factory.preferredBits());
        assertEquals(factory.preferredBits(), Vectorization.thisJvm().preferredBits());
        assertEquals(0, Vectorization.normBits(0));
        assertInstanceOf(NormKernel.Scalar.class, Kernels.kernel(NormKernel.FAMILY, 0, new NoFlags()));
        assertEquals(128, Vectorization.normBits(64), "the norm runs 64 bits as 128");
        assertEquals(256, Vectorization.normBits(256));
        UpdateKernel<SgdKernel.Coefficients> fresh = factory.kernel(SgdKernel.FAMILY.template(),
                SgdKernel.FAMILY.type(), 128, Format.FLOAT32, new SgdKernel.Flags(false, false, false, false, false));
        MemorySegment param = MemorySegment.ofArray(new float[] {1, 2, 3, 4, 5});
        SgdKernel.Coefficients halfLr = new SgdKernel.Coefficients();
        halfLr.dampeningComplement = 1;
        halfLr.negativeLr = -0.5f;
        fresh.step(param, MemorySegment.ofArray(new float[] {1, 1, 1, 1, 1}), new MemorySegment[0], halfLr, 0, 5);
        assertArrayEquals(new float[] {0.5f, 1.5f, 2.5f, 3.5f, 4.5f}, param.toArray(ValueLayout.JAVA_FLOAT));
        IllegalStateException missing = assertThrows(IllegalStateException.class,
                () -> factory.kernel("NoSuchVector", SgdKernel.FAMILY.type(), 128, Format.FLOAT32, new NoFlags()));
        assertEquals("the kernel template NoSuchVector.class is missing", missing.getMessage());
    }

    @Test
    void aDtypeAKernelDoesNotRunOnIsRefusedByName() {
        IllegalArgumentException floatOnly = assertThrows(IllegalArgumentException.class,
                () -> Kernels.kernel(NormKernel.FAMILY, 0, Format.BFLOAT16, new NoFlags()));
        assertEquals("NormKernel runs on FLOAT32 only, not BFLOAT16", floatOnly.getMessage());
        SgdKernel.Flags sgd = new SgdKernel.Flags(false, false, false, false, false);
        assertInstanceOf(SgdKernel.Scalar.class, Kernels.kernel(SgdKernel.FAMILY, 0, Format.FLOAT16, sgd));
        IllegalArgumentException vector = assertThrows(IllegalArgumentException.class,
                () -> Kernels.kernel(SgdKernel.FAMILY, 128, Format.FLOAT16, sgd));
        assertEquals("the vector kernels of Sgd run on FLOAT32 only, not FLOAT16", vector.getMessage());
    }
}
