package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Hyper-parameters by PyTorch's names, as checkpoints store them: exact round trips and precise refusals. */
class NamedHyperParametersTest {

    @Test
    void everyOptimizerRoundTripsThroughItsNames() {
        List<Algorithm> algorithms = List.of(
                Sgd.builder(0.1).momentum(0.9).dampening(0.1).weightDecay(1e-4).maximize(true).build(),
                Sgd.builder(0.2).momentum(0.8).nesterov(true).build(),
                RmsProp.builder().lr(0.02).alpha(0.9).eps(1e-6).weightDecay(0.1).momentum(0.5).centered(true).build(),
                Adam.builder().lr(0.003).betas(0.8, 0.99).eps(1e-7).weightDecay(0.2).amsgrad(true).build(),
                Adam.adamWBuilder().maximize(true).build());
        for (Algorithm algorithm : algorithms) {
            Algorithm other = algorithm.withLr(0.5).withNamedHyperParameters(algorithm.namedHyperParameters());
            assertEquals(algorithm, other);
        }
        assertEquals(List.of("lr", "betas", "eps", "weight_decay", "amsgrad", "maximize"),
                List.copyOf(Adam.builder().build().namedHyperParameters().keySet()), "PyTorch's order");
        assertEquals(Map.of("amsgrad", true, "maximize", false),
                NamedValues.flags(Adam.builder().amsgrad(true).build().namedHyperParameters()));
        assertEquals("AdamW", Adam.adamWBuilder().build().withNamedHyperParameters(
                Adam.builder().build().namedHyperParameters()).name(), "the optimizer is the receiver's");
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
