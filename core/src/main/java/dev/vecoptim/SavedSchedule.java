package dev.vecoptim;

import dev.vecoptim.io.Json;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/**
 * A group's schedule as checkpoints and state dicts hold it, and what a load does with it. Saved: the JSON of its
 * {@link DescribedSchedule#describe() description}, {@code {"name": "custom"}} for one of the program's own
 * (which cannot be saved), nothing for none. Loaded:
 * <ul>
 * <li>the group has the same schedule, or the file none: nothing to do;
 * <li>the group has none: the file's is restored onto it, so a resumed run goes on at the saved rates;
 * <li>the group has another described schedule: refused, as a flag is, since a file does not silently change
 *     how a run goes on;
 * <li>either is the program's own: they cannot be compared, so the load says so (a warning).
 * </ul>
 */
final class SavedSchedule {
    static final String CUSTOM = "custom";

    /** What a load does with a group's saved schedule. */
    sealed interface Decision {
    }

    /** Nothing: the same, or nothing saved. */
    record Keep() implements Decision {
    }

    /** Set this schedule on the group. */
    record Restore(DescribedSchedule schedule) implements Decision {
    }

    /** Go on as the group is, and say this. */
    record Warn(String warning) implements Decision {
    }

    private SavedSchedule() {
    }

    /** {@code schedule} as a file holds it: JSON, or "" for none. */
    static String describe(Optional<LearningRateSchedule> schedule) {
        if (schedule.isEmpty()) {
            return "";
        }
        Map<String, Object> described = schedule.get() instanceof DescribedSchedule known && known.complete()
                ? known.describe() : Map.of("name", CUSTOM);
        return new String(Json.write(described), StandardCharsets.UTF_8);
    }

    /**
     * What a load of {@code saved} (as {@link #describe} wrote it) does to {@code group}.
     *
     * @throws IllegalArgumentException if {@code saved} is no schedule, or another than the group's
     */
    static Decision decide(ParameterGroup group, String saved) {
        if (saved.isEmpty()) {
            return new Keep();
        }
        Object parsed = Json.parse(saved.getBytes(StandardCharsets.UTF_8));
        Optional<LearningRateSchedule> mine = group.schedule();
        String at = "group " + group.index() + "'s schedule ";
        if (parsed instanceof Map<?, ?> described && CUSTOM.equals(described.get("name"))) {
            return mine.isPresent() ? new Keep() : new Warn(at + "was the program's own, which a file cannot hold:"
                    + " set it again with group.schedule(...), or the group goes on at lr " + group.lr());
        }
        DescribedSchedule file = rebuild(parsed);
        if (mine.isEmpty()) {
            return new Restore(file);
        }
        if (!(mine.get() instanceof DescribedSchedule known) || !known.complete()) {
            return new Warn(at + "is the program's own here and " + file + " in the file, which cannot be compared;"
                    + " the group goes on with its own");
        }
        if (!known.equals(file)) {
            throw new IllegalArgumentException(at + "is " + file + " in the file and " + known + " here; a file does"
                    + " not change how a run goes on: set the file's, or none, before loading");
        }
        return new Keep();
    }

    /**
     * After a load has changed everything else: restores the schedules {@code decisions} say, and tells {@code log}
     * the warnings.
     */
    static void apply(Optimizer optimizer, java.util.List<Decision> decisions, java.nio.file.Path file,
                      System.Logger log) {
        for (ParameterGroup group : optimizer.groups()) {
            switch (decisions.get(group.index())) {
                case Restore restore -> group.restoreSchedule(restore.schedule());
                case Warn warn -> log.log(System.Logger.Level.WARNING, file + ": " + warn.warning());
                case Keep _ -> {
                }
            }
        }
    }

    /** The schedule a description (parsed JSON) describes, made by the factories, so checked as they check. */
    static DescribedSchedule rebuild(Object parsed) {
        if (!(parsed instanceof Map<?, ?> described) || !(described.get("name") instanceof String name)) {
            throw new IllegalArgumentException("a schedule is not described as {\"name\": ..., ...}: " + parsed);
        }
        Arguments arguments = new Arguments(name, described);
        LearningRateSchedule rebuilt = switch (name) {
            case "constant" -> LearningRateSchedule.constant(arguments.number("lr"));
            case "StepLR" -> LearningRateSchedule.stepDecay(arguments.number("lr"), arguments.count("step_size"),
                    arguments.number("gamma"));
            case "ExponentialLR" -> LearningRateSchedule.exponential(arguments.number("lr"),
                    arguments.number("gamma"));
            case "CosineAnnealingLR" -> LearningRateSchedule.cosineAnnealing(arguments.number("lr"),
                    arguments.count("T_max"), arguments.number("eta_min"));
            case "PerEpoch" -> Schedulers.perEpoch(rebuild(described.get("schedule")),
                    arguments.count("steps_per_epoch"));
            case "LinearWarmup" -> LearningRateSchedule.linearWarmup(arguments.count("warmup_steps"),
                    arguments.number("start_factor"), rebuild(described.get("then")));
            case "torch.optim.lr_scheduler.StepLR" -> Schedulers.stepLR(arguments.number("lr"),
                    arguments.count("step_size"), arguments.number("gamma"));
            case "torch.optim.lr_scheduler.MultiStepLR" -> Schedulers.multiStepLR(arguments.number("lr"),
                    arguments.counts("milestones"), arguments.number("gamma"));
            case "torch.optim.lr_scheduler.ConstantLR" -> Schedulers.constantLR(arguments.number("lr"),
                    arguments.number("factor"), arguments.count("total_iters"));
            case "torch.optim.lr_scheduler.LinearLR" -> Schedulers.linearLR(arguments.number("lr"),
                    arguments.number("start_factor"), arguments.number("end_factor"), arguments.count("total_iters"));
            case "torch.optim.lr_scheduler.ExponentialLR" -> Schedulers.exponentialLR(arguments.number("lr"),
                    arguments.number("gamma"));
            case "torch.optim.lr_scheduler.PolynomialLR" -> Schedulers.polynomialLR(arguments.number("lr"),
                    arguments.count("total_iters"), arguments.number("power"));
            case "torch.optim.lr_scheduler.CosineAnnealingLR" -> Schedulers.cosineAnnealingLR(
                    arguments.number("lr"), arguments.count("T_max"), arguments.number("eta_min"));
            case "torch.optim.lr_scheduler.CosineAnnealingWarmRestarts" -> described.containsKey("steps_per_epoch")
                    ? Schedulers.cosineAnnealingWarmRestarts(arguments.number("lr"), arguments.count("T_0"),
                    arguments.count("T_mult"), arguments.number("eta_min"), arguments.count("steps_per_epoch"))
                    : Schedulers.cosineAnnealingWarmRestarts(arguments.number("lr"), arguments.count("T_0"),
                    arguments.count("T_mult"), arguments.number("eta_min"));
            case "torch.optim.lr_scheduler.SequentialLR" -> Schedulers.sequentialLR(arguments.schedules(),
                    arguments.counts("milestones"));
            case "torch.optim.lr_scheduler.ChainedScheduler" -> Schedulers.chainedScheduler(arguments.schedules());
            case "torch.optim.lr_scheduler.CyclicLR" -> described.containsKey("base_momentum")
                    ? Schedulers.cyclicLR(arguments.number("base_lr"), arguments.number("max_lr"),
                    arguments.count("step_size_up"), arguments.count("step_size_down"), arguments.cyclicMode(),
                    arguments.number("gamma"), arguments.number("base_momentum"), arguments.number("max_momentum"))
                    : Schedulers.cyclicLR(arguments.number("base_lr"), arguments.number("max_lr"),
                    arguments.count("step_size_up"), arguments.count("step_size_down"), arguments.cyclicMode(),
                    arguments.number("gamma"));
            case "torch.optim.swa_utils.SWALR" -> Schedulers.swaLR(arguments.number("lr"), arguments.number("swa_lr"),
                    arguments.count("anneal_epochs"), arguments.anneal());
            case "torch.optim.lr_scheduler.OneCycleLR" -> described.containsKey("base_momentum")
                    ? Schedulers.oneCycleLR(arguments.number("max_lr"), arguments.count("total_steps"),
                    arguments.number("pct_start"), arguments.anneal(), arguments.number("div_factor"),
                    arguments.number("final_div_factor"), arguments.flag("three_phase"),
                    arguments.number("base_momentum"), arguments.number("max_momentum"))
                    : Schedulers.oneCycleLR(arguments.number("max_lr"), arguments.count("total_steps"),
                    arguments.number("pct_start"), arguments.anneal(), arguments.number("div_factor"),
                    arguments.number("final_div_factor"), arguments.flag("three_phase"));
            default -> throw new IllegalArgumentException("no schedule is named " + name);
        };
        if (described.size() != ((DescribedSchedule) rebuilt).arguments().size() + 1) {
            throw new IllegalArgumentException("schedule " + name + " has other arguments than "
                    + ((DescribedSchedule) rebuilt).arguments().keySet() + ": " + described.keySet());
        }
        return (DescribedSchedule) rebuilt;
    }

    /** A description's arguments, typed, with a message naming the schedule and the argument. */
    private record Arguments(String name, Map<?, ?> described) {
        double number(String argument) {
            if (!(described.get(argument) instanceof Number number)) {
                throw new IllegalArgumentException("schedule " + name + "'s " + argument + " is not a number: "
                        + described.get(argument));
            }
            return number.doubleValue();
        }

        long count(String argument) {
            if (!(described.get(argument) instanceof Long count)) {
                throw new IllegalArgumentException("schedule " + name + "'s " + argument + " is not an integer: "
                        + described.get(argument));
            }
            return count;
        }

        String text(String argument) {
            if (!(described.get(argument) instanceof String text)) {
                throw new IllegalArgumentException("schedule " + name + "'s " + argument + " is not a string: "
                        + described.get(argument));
            }
            return text;
        }

        Schedulers.Anneal anneal() {
            return Schedulers.Anneal.valueOf(text("anneal_strategy").toUpperCase(java.util.Locale.ROOT));
        }

        Schedulers.CyclicMode cyclicMode() {
            return Schedulers.CyclicMode.valueOf(text("mode").toUpperCase(java.util.Locale.ROOT));
        }

        boolean flag(String argument) {
            if (!(described.get(argument) instanceof Boolean flag)) {
                throw new IllegalArgumentException("schedule " + name + "'s " + argument + " is not true or false: "
                        + described.get(argument));
            }
            return flag;
        }

        java.util.List<LearningRateSchedule> schedules() {
            if (!(described.get("schedulers") instanceof java.util.List<?> list)) {
                throw new IllegalArgumentException("schedule " + name + "'s schedulers are not a list: "
                        + described.get("schedulers"));
            }
            return list.stream().<LearningRateSchedule>map(SavedSchedule::rebuild).toList();
        }

        java.util.List<Long> counts(String argument) {
            if (!(described.get(argument) instanceof java.util.List<?> list)
                    || !list.stream().allMatch(Long.class::isInstance)) {
                throw new IllegalArgumentException("schedule " + name + "'s " + argument + " is not a list of"
                        + " integers: " + described.get(argument));
            }
            return list.stream().map(Long.class::cast).toList();
        }
    }
}
