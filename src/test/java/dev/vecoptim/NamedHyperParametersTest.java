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
            assertEquals(algorithm, NamedHyperParameters.build(algorithm.name(), NamedHyperParameters.of(algorithm),
                    algorithm.vectorWidth()));
        }
        assertEquals(List.of("lr", "betas", "eps", "weight_decay", "amsgrad", "maximize"),
                List.copyOf(NamedHyperParameters.of(Adam.builder().build()).keySet()), "PyTorch's order");
        assertEquals(Map.of("amsgrad", true, "maximize", false),
                NamedHyperParameters.flags(NamedHyperParameters.of(Adam.builder().amsgrad(true).build())));
    }

    @Test
    void entriesMustBeExactlyThoseOfTheOptimizer() {
        Map<String, Object> sgd = new LinkedHashMap<>(NamedHyperParameters.of(Sgd.builder(0.1).build()));
        sgd.put("betas", new double[] {0.9, 0.999});
        assertRefused("SGD has no hyper-parameter betas", "SGD", sgd);
        sgd.remove("betas");
        sgd.remove("dampening");
        assertRefused("SGD needs dampening, which is missing", "SGD", sgd);
        sgd.put("dampening", true);
        assertRefused("SGD's dampening must be a number, not True", "SGD", sgd);
        Map<String, Object> adam = new LinkedHashMap<>(NamedHyperParameters.of(Adam.builder().build()));
        adam.put("amsgrad", 1.0);
        assertRefused("Adam's amsgrad must be True or False, not 1.0", "Adam", adam);
        adam.put("amsgrad", false);
        adam.put("betas", 0.9);
        assertRefused("Adam's betas must be a tuple of two numbers, not 0.9", "Adam", adam);
        adam.put("betas", new double[] {0.9, 0.99, 0.999});
        assertRefused("Adam's betas must be a tuple of two numbers, not (0.9, 0.99, 0.999)", "Adam", adam);
        assertRefused("vecoptim has no optimizer named Adagrad", "Adagrad", adam);
    }

    private static void assertRefused(String message, String optimizer, Map<String, Object> named) {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> NamedHyperParameters.build(optimizer, named, VectorWidth.SCALAR));
        assertEquals(message, refused.getMessage());
    }
}
