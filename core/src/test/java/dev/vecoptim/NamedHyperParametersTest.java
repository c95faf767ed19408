package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Hyper-parameters by PyTorch's names, as checkpoints store them: exact round trips and precise refusals. */
class NamedHyperParametersTest {

    @Test
    void everyOptimizerRoundTripsThroughItsNames() {
        SplittableRandom r = new SplittableRandom(11);
        for (TestedOptimizers.Kind kind : TestedOptimizers.ALL) {
            for (int trial = 0; trial < 20; trial++) {
                Algorithm algorithm = TestedOptimizers.randomized(kind.random().apply(r), r);
                Algorithm other = algorithm.withLr(0.5).withNamedHyperParameters(algorithm.namedHyperParameters());
                assertEquals(algorithm, other);
                assertEquals(algorithm.hashCode(), other.hashCode());
                assertEquals(algorithm.toString(), other.toString());
            }
        }
        assertEquals(List.of("lr", "betas", "eps", "weight_decay", "amsgrad", "maximize"),
                List.copyOf(Adam.builder().build().namedHyperParameters().keySet()), "PyTorch's order");
        assertEquals(Map.of("amsgrad", true, "maximize", false),
                NamedValues.flags(Adam.builder().amsgrad(true).build().namedHyperParameters()));
        assertEquals("AdamW", Adam.adamWBuilder().build().withNamedHyperParameters(
                Adam.builder().build().namedHyperParameters()).name(), "the optimizer is the receiver's");
    }

    @Test
    void pyTorchHyperParametersAreTheKeywordArgumentsOfPyTorchsConstructor() {
        Map<String, Object> adamW = Adam.adamWBuilder().betas(0.8, 0.95).amsgrad(true).build().pyTorchHyperParameters();
        assertEquals(List.of("lr", "betas", "eps", "weight_decay", "amsgrad", "maximize"), List.copyOf(adamW.keySet()));
        assertEquals(List.of(0.8, 0.95), adamW.get("betas"), "a pair is a list, as JSON and Python take it");
        assertEquals(0.01, adamW.get("weight_decay"));
        assertEquals(true, adamW.get("amsgrad"));
        assertThrows(UnsupportedOperationException.class, () -> adamW.put("lr", 1.0));
    }

    @Test
    void equalMeansTheSameOptimizerHyperParametersWidthAndSemantics() {
        Algorithm adam = Adam.builder().weightDecay(0.01).build();
        Algorithm adamW = Adam.adamWBuilder().build();
        assertEquals(adam.toString().substring("Adam".length()), adamW.toString().substring("AdamW".length()));
        assertNotEquals(adam, adamW, "Adam and AdamW with the same numbers are different optimizers");
        assertNotEquals(adam, adam.withLr(0.002));
        assertNotEquals(adam, Adam.builder().weightDecay(0.01).betas(0.9, 0.99).build(), "tuples compare by value");
        assertEquals(adam, Adam.builder().weightDecay(0.01).betas(0.9, 0.999).build());
        assertNotEquals(adam, adam.withSemantics(Semantics.PYTORCH_1_13));
        assertNotEquals(adam, adam.withVectorWidth(VectorWidth.SCALAR));
        assertNotEquals(Sgd.builder(0.0).build(), Sgd.builder(-0.0).build(), "bit for bit: 0.0 and -0.0 differ");
        assertEquals(Sgd.builder(-0.0).build().hashCode(), Sgd.builder(-0.0).build().hashCode());
    }

    @Test
    void entriesMustBeExactlyThoseOfTheOptimizer() {
        Sgd sgdPrototype = Sgd.builder(0.1).build();
        Map<String, Object> sgd = new LinkedHashMap<>(sgdPrototype.namedHyperParameters());
        sgd.put("betas", new double[] {0.9, 0.999});
        assertRefused("SGD has no hyper-parameter betas", sgdPrototype, sgd);
        sgd.remove("betas");
        sgd.remove("dampening");
        assertRefused("SGD needs dampening, which is missing", sgdPrototype, sgd);
        sgd.put("dampening", true);
        assertRefused("SGD's dampening must be a number, not True", sgdPrototype, sgd);
        Adam adamPrototype = Adam.builder().build();
        Map<String, Object> adam = new LinkedHashMap<>(adamPrototype.namedHyperParameters());
        adam.put("amsgrad", 1.0);
        assertRefused("Adam's amsgrad must be True or False, not 1.0", adamPrototype, adam);
        adam.put("amsgrad", false);
        adam.put("betas", 0.9);
        assertRefused("Adam's betas must be a tuple of two numbers, not 0.9", adamPrototype, adam);
        adam.put("betas", new double[] {0.9, 0.99, 0.999});
        assertRefused("Adam's betas must be a tuple of two numbers, not (0.9, 0.99, 0.999)", adamPrototype, adam);
        adam.put("betas", new double[] {0.9, 1.5});
        assertRefused("Invalid beta parameter at index 1: 1.5", adamPrototype, adam);
    }

    private static void assertRefused(String message, Algorithm prototype, Map<String, Object> named) {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> prototype.withNamedHyperParameters(named));
        assertEquals(message, refused.getMessage());
    }
}
