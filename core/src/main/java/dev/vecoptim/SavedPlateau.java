package dev.vecoptim;

import dev.vecoptim.io.Json;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A {@link ReduceLROnPlateau}'s state in its optimizer's files: its {@link ReduceLROnPlateau#stateDict()} as JSON,
 * which a load restores into the optimizer's own, or refuses. The rule is {@link GradScaler}'s: state is never
 * dropped, nor a scheduler left as it was, silently.
 */
final class SavedPlateau {
    private SavedPlateau() {
    }

    /** {@return the state of {@code optimizer}'s ReduceLROnPlateau as JSON, or "" for none} */
    static String describe(Optimizer optimizer) {
        ReduceLROnPlateau plateau = optimizer.plateau();
        return plateau == null ? "" : new String(Json.write(plateau.stateDict()), StandardCharsets.UTF_8);
    }

    /**
     * Why {@code file}'s saved state (null for none) cannot be restored into {@code optimizer}'s ReduceLROnPlateau,
     * or null when it can.
     */
    static String refusal(String file, Map<String, Object> saved, Optimizer optimizer) {
        ReduceLROnPlateau plateau = optimizer.plateau();
        if (saved != null && plateau == null) {
            return file + " holds a ReduceLROnPlateau's state (best " + saved.get("best") + ", num_bad_epochs "
                    + saved.get("num_bad_epochs") + "); build one of its arguments on this optimizer"
                    + " (ReduceLROnPlateau.builder()...build(optimizer)) before loading, which the load restores";
        }
        if (saved == null && plateau != null) {
            return file + " holds no ReduceLROnPlateau's state: it was saved without one, and this optimizer's would"
                    + " keep its own counters";
        }
        String refusal = saved == null ? null : plateau.refusal(saved);
        return refusal == null ? null : file + "'s ReduceLROnPlateau state is refused: " + refusal;
    }

    /** {@code saved} as a state dict, null for "", or an IllegalArgumentException saying why it is not one. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> parse(String saved) {
        if (saved.isEmpty()) {
            return null;
        }
        if (!(Json.parse(saved.getBytes(StandardCharsets.UTF_8)) instanceof Map<?, ?> state)) {
            throw new IllegalArgumentException("its ReduceLROnPlateau state is not a JSON object");
        }
        return (Map<String, Object>) state;
    }

    /** Restores {@code saved} (null for none), which {@link #refusal} accepted, into {@code optimizer}'s. */
    static void restore(Map<String, Object> saved, Optimizer optimizer) {
        if (saved != null) {
            optimizer.plateau().restore(saved);
        }
    }
}
