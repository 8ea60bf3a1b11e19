"""Every choice a study makes is a function of validation numbers only.

For each chooser, fake runs in the exact shape it reads are built so that
validation and test numbers point to different options. Each test checks
(1) that the option validation points to is chosen, and (2) that replacing
every test number (every value under a key starting with "test_") by other
values changes no choice.

Studies that choose nothing: A6 (every optimiser and batch size is reported
at its last epoch) and B2.4/B2.5 (fixed epochs; flip test-time augmentation
is a setting, not a choice).
"""

from __future__ import annotations

import dataclasses
import json
import types
from pathlib import Path
from unittest import mock

import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from tfcnn.answers.set_a import a3_a4_strides as a3
from tfcnn.answers.set_c import c3_small_networks as c3
from tfcnn.answers.set_c import c4_overfitting as c4
from tfcnn.answers.set_c import c5_pairs as c5
from tfcnn.answers.set_d import d3_d5_study as d5
from tfcnn.training.metrics import best_epoch


def other_value(value, rng: np.random.Generator):
    """A different value of the same kind: numbers drawn at random in [0, 1)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return float(rng.random())
    if isinstance(value, list):
        return [other_value(v, rng) for v in value]
    if isinstance(value, dict):
        return {k: other_value(v, rng) for k, v in value.items()}
    return value


def replace_test_numbers(obj, seed: int = 0):
    """A copy of `obj` whose values under keys starting with "test_" are replaced.

    Raises:
        ValueError: `obj` holds no test number (the check would prove nothing).
    """
    if not count_test_keys(obj):
        raise ValueError("no key starting with 'test_' to replace")
    rng = np.random.default_rng(seed)

    def walk(node):
        if isinstance(node, dict):
            return {
                k: other_value(v, rng) if str(k).startswith("test_") else walk(v)
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(obj)


def count_test_keys(obj) -> int:
    """How many keys starting with "test_" `obj` holds, at any depth."""
    if isinstance(obj, dict):
        return sum(
            str(k).startswith("test_") + count_test_keys(v) for k, v in obj.items()
        )
    if isinstance(obj, list):
        return sum(count_test_keys(v) for v in obj)
    return 0


def epoch_history(val, test):
    """A `train_epochs` history, with test metrics added (A3 records none)."""
    return [
        {
            "epoch": e + 1,
            "iteration": 10 * (e + 1),
            "train_accuracy": 0.9,
            "train_loss": 0.3,
            "val_accuracy": v,
            "val_loss": 1 - v,
            "test_accuracy": t,
            "test_loss": 1 - t,
        }
        for e, (v, t) in enumerate(zip(val, test, strict=True))
    ]


class HelpersTest(tf.test.TestCase):
    def test_replacing_test_numbers_changes_them_and_nothing_else(self):
        run = {"final": {"val_accuracy": 0.5, "test_accuracy": 0.5}, "test_loss": 2.0}
        replaced = replace_test_numbers(run)
        self.assertEqual(replaced["final"]["val_accuracy"], 0.5)
        self.assertNotEqual(replaced["final"]["test_accuracy"], 0.5)
        self.assertNotEqual(replaced["test_loss"], 2.0)
        self.assertEqual(count_test_keys(run), 2)
        with self.assertRaises(ValueError):
            replace_test_numbers({"val_accuracy": 0.5})


class A3EpochTest(parameterized.TestCase, tf.test.TestCase):
    # Validation peaks at epoch 2, test at epoch 4.
    VAL = ((0.80, 0.90, 0.85, 0.70), (0.82, 0.88, 0.86, 0.75))
    TEST = ((0.70, 0.75, 0.80, 0.95), (0.72, 0.74, 0.81, 0.93))

    @parameterized.parameters(1, 2)
    def test_best_epoch_follows_validation(self, seeds):
        histories = [epoch_history(v, t) for v, t in zip(self.VAL, self.TEST)][:seeds]
        self.assertEqual(best_epoch(histories), 2)
        self.assertEqual(best_epoch(histories, key="test_accuracy"), 4)
        for seed in range(3):
            self.assertEqual(best_epoch(replace_test_numbers(histories, seed)), 2)


def a3_config(root: Path, candidates) -> a3.Config:
    return dataclasses.replace(
        a3.Config(),
        strides=(1, 2),
        seeds=(0, 1),
        max_epochs=3,
        candidates=candidates,
        checkpoints=str(root / "checkpoints"),
        backend="tensorflow",
    )


def write_a3_run(root: Path, config, recipe, stride, seed, history) -> None:
    """A stored A3 run and its last weights file, so `train_runs` skips it."""
    name = a3.stride_run_name(config.backend, recipe, stride, seed)
    run = {
        "history": history,
        "epoch_seconds": [1.0] * len(history),
        "epoch_cpu_seconds": [2.0] * len(history),
        "updates_per_epoch": 10,
        "params": 100,
        "wall_seconds": 5.0,
        "recipe": dataclasses.asdict(recipe),
    }
    path = root / a3.RESULT_ID / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(run))
    folder = a3.checkpoint_dir(config, recipe, stride, seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"epoch{recipe.epochs}.weights.h5").touch()


class A3RecipeTest(tf.test.TestCase):
    def test_search_chooses_the_recipe_on_validation(self):
        root = Path(self.get_temp_dir())
        candidates = (
            a3.Recipe("good_on_test", 3, max_shift=1),
            a3.Recipe("good_on_val", 3, dropout=0.5),
        )
        config = a3_config(root, candidates)
        histories = {
            "plain": epoch_history((0.5, 0.6, 0.7), (0.5, 0.6, 0.99)),
            "good_on_test": epoch_history((0.80, 0.81, 0.82), (0.97, 0.98, 0.99)),
            "good_on_val": epoch_history((0.85, 0.90, 0.84), (0.60, 0.61, 0.62)),
        }
        for recipe in (config.plain(), *candidates):
            write_a3_run(root, config, recipe, 1, 0, histories[recipe.name])
        chosen = a3.search_recipes(config, None, root)  # nothing is trained
        self.assertEqual(chosen.name, "good_on_val")
        self.assertEqual(a3.chosen_recipe(root), chosen)
        search = json.loads((root / "a3/search_tensorflow.json").read_text())
        self.assertEqual(
            search["val_accuracy"], {"good_on_test": 0.82, "good_on_val": 0.9}
        )
        self.assertEqual(search["table"]["rows"][2][2], "2")  # its epoch, on val.

        for seed in range(3):
            for recipe in (config.plain(), *candidates):
                replaced = replace_test_numbers(histories[recipe.name], seed)
                write_a3_run(root, config, recipe, 1, 0, replaced)
            self.assertEqual(a3.search_recipes(config, None, root), chosen)
            again = json.loads((root / "a3/search_tensorflow.json").read_text())
            self.assertEqual(again["val_accuracy"], search["val_accuracy"])
            self.assertEqual(again["table"], search["table"])

    def test_summary_evaluates_the_epoch_chosen_on_validation(self):
        root = Path(self.get_temp_dir())
        config = a3_config(root, ())
        recipe = config.plain()
        # Stride 1: validation peaks at epoch 1, test at 3; stride 2: 3 and 1.
        curves = {
            1: ((0.9, 0.8, 0.7), (0.6, 0.7, 0.9)),
            2: ((0.6, 0.7, 0.8), (0.9, 0.8, 0.7)),
        }
        split = types.SimpleNamespace(
            class_names=("a", "b"), x_train=np.zeros((4, 1)), y_test=np.array([0, 1])
        )

        def summarise(replace_seed=None):
            for stride, (val, test) in curves.items():
                for seed in config.seeds:
                    history = epoch_history(val, test)
                    if replace_seed is not None:
                        history = replace_test_numbers(history, replace_seed + seed)
                    write_a3_run(root, config, recipe, stride, seed, history)
            evaluated = []

            def fake_evaluate(config, split, recipe, stride, seed, epoch):
                evaluated.append((stride, seed, epoch))
                metrics = {"accuracy": 0.5, "loss": 1.0}
                return {
                    "train": metrics,
                    "val": metrics,
                    "test": metrics,
                    "test_probabilities": np.full((2, 2), 0.5),
                    "test_predicted": np.array([0, 0]),
                }

            with (
                mock.patch.object(a3, "evaluate_epoch", fake_evaluate),
                mock.patch.object(a3, "plot_training"),
                mock.patch.object(a3, "plot_confusions"),
            ):
                summary = a3.summarise_strides(config, split, recipe, root, False)
            return summary, evaluated

        summary, evaluated = summarise()
        self.assertEqual(summary["stride1"]["chosen_epoch"], 1)
        self.assertEqual(summary["stride2"]["chosen_epoch"], 3)
        self.assertCountEqual(evaluated, [(1, 0, 1), (1, 1, 1), (2, 0, 3), (2, 1, 3)])
        for seed in (0, 10):
            again, evaluated_again = summarise(seed)
            self.assertEqual(evaluated_again, evaluated)
            for stride in config.strides:
                self.assertEqual(
                    again[f"stride{stride}"]["chosen_epoch"],
                    summary[f"stride{stride}"]["chosen_epoch"],
                )


def c3_run(val: float, test: float, seed: int, cpu: float = 10.0) -> dict:
    """A stored C3 run: two records, the second its final one."""
    history = [
        {
            "iteration": 100 * i,
            "train_cpu_seconds": cpu * i,
            "val_accuracy": v,
            "test_accuracy": test,
            "val_loss": 1 - v,
            "test_loss": 1 - test,
        }
        for i, v in ((1, val - 0.01), (2, val))
    ]
    return {
        "meta": {"seed": seed, "wall_seconds": 60.0, "config": {}},
        "history": history,
        "final": history[-1],
    }


class C3SearchTest(tf.test.TestCase):
    # Fewest parameters first: 242, 250, 274, 340; k7_p12_f4 is the only
    # next-smaller neighbour of k5_p12_f4 among them.
    NAMES = ["k5_p8_f2", "k7_p12_f4", "k5_p12_f4", "k5_p12_f5"]
    # (candidate, iterations, seed) -> (val, test). Test numbers point the
    # other way: the candidates that fail on validation pass on test.
    RUNS = {
        ("k5_p8_f2", 20000, 0): (0.94, 0.99),
        ("k7_p12_f4", 20000, 0): (0.96, 0.90),
        ("k5_p12_f4", 20000, 0): (0.97, 0.90),
        ("k5_p12_f5", 20000, 0): (0.98, 0.99),
        ("k7_p12_f4", 20000, 1): (0.94, 0.99),
        ("k5_p12_f4", 20000, 1): (0.96, 0.90),
        ("k5_p12_f4", 20000, 2): (0.955, 0.90),
        **{("k5_p12_f4", 6000, s): (v, 0.99) for s, v in enumerate((0.96, 0.94, 0.96))},
        **{("k5_p12_f4", 12000, s): (0.955, 0.90) for s in range(3)},
        ("k7_p12_f4", 6000, 0): (0.93, 0.99),
        ("k7_p12_f4", 12000, 0): (0.94, 0.99),
        **{("k5_p12_f4", 12000, s): (0.951, 0.90) for s in (3, 4)},
    }

    def search(self, done, replace_seed=None) -> dict:
        out = {}
        for name, its, seed in done:
            run = c3_run(*self.RUNS[(name, its, seed)], seed)
            if replace_seed is not None:
                run = replace_test_numbers(run, replace_seed + seed)
            out.setdefault((name, its), {})[seed] = run
        return out

    def decide(self, done, replace_seed=None):
        search = self.search(done, replace_seed)
        return c3.decide("shallow", search, names=self.NAMES)

    def test_each_stage_asks_for_the_runs_validation_calls_for(self):
        done = []
        steps = [
            [(n, 20000, 0) for n in self.NAMES],
            [("k7_p12_f4", 20000, 1)],
            [("k5_p12_f4", 20000, 1)],
            [("k5_p12_f4", 20000, 2)],
            [("k5_p12_f4", 6000, s) for s in range(3)]
            + [("k7_p12_f4", 6000, 0)]
            + [("k5_p12_f4", 12000, s) for s in range(3)]
            + [("k7_p12_f4", 12000, 0)],
            [("k5_p12_f4", 12000, 3), ("k5_p12_f4", 12000, 4)],
        ]
        for expected in steps:
            winner, schedule, needed = self.decide(done)
            self.assertEqual(needed[:1] if len(expected) == 1 else needed, expected)
            done += expected
        winner, schedule, needed = self.decide(done)
        self.assertEqual((winner, schedule, needed), ("k5_p12_f4", 12000, []))

    def test_a_timing_seed_that_misses_changes_no_decision(self):
        search = self.search(list(self.RUNS))
        search[("k5_p12_f4", 12000)][4] = c3_run(0.90, 0.99, 4)
        search[("k5_p12_f4", 20000)] = {
            **search[("k5_p12_f4", 20000)],
            3: c3_run(0.90, 0.99, 3),
        }
        self.assertEqual(
            c3.decide("shallow", search, names=self.NAMES), ("k5_p12_f4", 12000, [])
        )

    def test_test_numbers_change_no_decision(self):
        done = list(self.RUNS)
        expected = self.decide(done)
        for seed in (0, 10):
            self.assertEqual(self.decide(done, seed), expected)

    def test_the_grid_counts_match_keras(self):
        for family in c3.FAMILIES:
            candidates = c3.grid(family)
            counts = [c3.count_params(family, a) for a in candidates.values()]
            self.assertEqual(counts, sorted(counts))
            for name in list(candidates)[:: max(1, len(candidates) // 4)]:
                model = c3.build_candidate(family, candidates[name])
                self.assertEqual(
                    model.count_params(), c3.count_params(family, candidates[name])
                )

    def test_smaller_neighbours_are_one_step_away_and_smaller(self):
        self.assertCountEqual(
            c3.smaller_neighbours("shallow", "k5_p8_f4"),
            ["k3_p8_f4", "k7_p8_f4", "k5_p12_f4", "k5_p8_f3"],
        )
        self.assertEqual(c3.smaller_neighbours("shallow", "k5_p8_f2"), [])


def c4_run(val, test, params, train=1.0) -> dict:
    """A stored C4 sweep run: its history (the summary reads the last record)."""
    record = {
        "iteration": 2000,
        "train_accuracy": train,
        "val_accuracy": val,
        "test_accuracy": test,
        "val_loss": 1 - val,
        "test_loss": 1 - test,
    }
    return {"history": [{**record, "iteration": 1000}, record], "params": params}


class C4VariantTest(tf.test.TestCase):
    VARIANTS = [
        c4.Variant(),
        c4.Variant((16, 32), 256),
        c4.Variant((4, 8), 32),
        c4.Variant(keep_probability=0.5),
        c4.Variant(keep_probability=0.5, augment=True),
    ]
    # name -> (validation, test) accuracy of the three draws.
    SCORES = {
        "f32-64_u1024_keep100": ((0.80, 0.82, 0.81), (0.90, 0.91, 0.92)),
        "f16-32_u256_keep100": ((0.84, 0.85, 0.86), (0.80, 0.81, 0.82)),
        "f4-8_u32_keep100": ((0.70, 0.72, 0.74), (0.95, 0.95, 0.96)),
        "f32-64_u1024_keep50": ((0.88, 0.90, 0.89), (0.85, 0.84, 0.86)),
        "f32-64_u1024_keep50_aug": ((0.87, 0.88, 0.86), (0.97, 0.98, 0.99)),
    }
    PARAMS = {v.name: 1000 * (i + 1) for i, v in enumerate(VARIANTS)}

    def sweep(self, replace_seed=None):
        sweep = {}
        for v in self.VARIANTS:
            val, test = self.SCORES[v.name]
            runs = [c4_run(a, b, self.PARAMS[v.name]) for a, b in zip(val, test)]
            if replace_seed is not None:
                runs = replace_test_numbers(runs, replace_seed)
            sweep[v.name] = c4.variant_summary(runs)
        return sweep

    def test_the_variant_is_chosen_on_validation(self):
        sweep = self.sweep()
        self.assertEqual(c4.choose_variant(sweep), "f32-64_u1024_keep50")
        by_test = max(sweep, key=lambda n: sweep[n]["test_accuracy"]["mean"])
        self.assertEqual(by_test, "f32-64_u1024_keep50_aug")
        for seed in range(3):
            self.assertEqual(c4.choose_variant(self.sweep(seed)), "f32-64_u1024_keep50")

    def test_the_best_by_validation_of_each_series_ignores_test(self):
        best = c4.best_in_series(self.sweep(), self.VARIANTS)
        by_val = {s: best[s]["val_accuracy"]["name"] for s in best}
        self.assertEqual(
            by_val,
            {
                "sizes": "f16-32_u256_keep100",
                # Nothing is shrunk alone here: these series hold the original.
                "dense": "f32-64_u1024_keep100",
                "convs": "f32-64_u1024_keep100",
                "dropout": "f32-64_u1024_keep50",
                "augmented": "f32-64_u1024_keep50_aug",
            },
        )
        # Reported beside it, the best on test differs in two series.
        self.assertEqual(best["sizes"]["test_accuracy"]["name"], "f4-8_u32_keep100")
        self.assertEqual(
            best["dropout"]["test_accuracy"]["name"], "f32-64_u1024_keep100"
        )
        for seed in range(3):
            again = c4.best_in_series(self.sweep(seed), self.VARIANTS)
            self.assertEqual(
                {s: again[s]["val_accuracy"] for s in again},
                {s: best[s]["val_accuracy"] for s in best},
            )


def c5_run(val_sum, test_sum, head="digits") -> dict:
    """A stored C5 run with every test field a run has."""
    final = {
        "train_sum_accuracy": 0.99,
        "val_sum_accuracy": val_sum,
        "val_loss": 1 - val_sum,
        "test_sum_accuracy": test_sum,
        "test_loss": 1 - test_sum,
    }
    if head == "digits":
        final |= {"test_digit_accuracy": test_sum, "val_digit_accuracy": val_sum}
    return {"final": final, "history": [final], "test_predictions": [[1, 2], [3, 4]]}


class C5ScheduleTest(tf.test.TestCase):
    def test_the_schedule_is_chosen_on_validation(self):
        # At 60,000 pairs the longer schedule is better on validation for the
        # digit head and worse on test; the other way round for the sum head.
        all_runs = {
            ("digits", 60, 3): [c5_run(0.90, 0.99), c5_run(0.91, 0.98)],
            ("digits", 60, 6): [c5_run(0.95, 0.80), c5_run(0.94, 0.81)],
            ("sum", 60, 3): [c5_run(0.93, 0.80, "sum"), c5_run(0.93, 0.81, "sum")],
            ("sum", 60, 6): [c5_run(0.92, 0.99, "sum"), c5_run(0.92, 0.98, "sum")],
            ("sum", 10, 3): [c5_run(0.5, 0.5, "sum")],
        }
        chosen = {("digits", 60): 6, ("sum", 60): 3, ("sum", 10): 3}
        self.assertEqual(c5.chosen_schedules(all_runs), chosen)
        for seed in range(3):
            self.assertEqual(
                c5.chosen_schedules(replace_test_numbers(all_runs, seed)), chosen
            )
            self.assertCountEqual(
                c5.compared_runs(replace_test_numbers(all_runs, seed)), chosen
            )


def d_history(val_accuracy, val_loss, test_accuracy, diverged=False) -> dict:
    """A set D history (series per epoch and their final values), with test metrics."""
    series = {
        "fit_accuracy": 0.99,
        "fit_loss": 0.01,
        "val_accuracy": val_accuracy,
        "val_loss": val_loss,
        "test_accuracy": test_accuracy,
        "test_loss": 1 - test_accuracy,
    }
    return {
        "epoch": [0, 1],
        "diverged": diverged,
        **{k: [0.5, v] for k, v in series.items()},
        "final": series,
    }


class DLearningRateTest(parameterized.TestCase, tf.test.TestCase):
    @parameterized.named_parameters(
        # rate -> (val. accuracy, val. loss, test accuracy) per seed.
        (
            "by_accuracy",
            {1e-3: [(0.90, 0.3, 0.7)], 1e-2: [(0.85, 0.2, 0.99)]},
            1e-3,
        ),
        (
            "ties_by_loss",
            {1e-3: [(0.75, 0.4, 0.99), (0.25, 0.4, 0.99)], 1e-2: [(0.5, 0.3, 0.5)] * 2},
            1e-2,
        ),
        (
            "mean_over_seeds",
            {1e-4: [(0.95, 0.1, 0.99), (0.60, 0.9, 0.99)], 1e-3: [(0.8, 0.2, 0.5)] * 2},
            1e-3,
        ),
    )
    def test_the_rate_is_chosen_on_validation(self, runs, expected):
        by_rate = {r: [d_history(*h) for h in hs] for r, hs in runs.items()}
        self.assertEqual(d5.choose_learning_rate(by_rate), expected)
        by_test = max(
            by_rate,
            key=lambda r: np.mean([h["final"]["test_accuracy"] for h in by_rate[r]]),
        )
        self.assertNotEqual(by_test, expected)
        for seed in range(3):
            replaced = replace_test_numbers(by_rate, seed)
            self.assertEqual(d5.choose_learning_rate(replaced), expected)
            for rate in by_rate:
                self.assertEqual(
                    d5.tuning_score(replaced[rate]), d5.tuning_score(by_rate[rate])
                )

    def test_a_diverged_run_scores_lowest_whatever_its_test_numbers(self):
        by_rate = {
            1e-3: [d_history(0.3, 2.0, 0.1)],
            1e-1: [d_history(0.99, 0.01, 0.99, diverged=True)],
        }
        self.assertEqual(d5.tuning_score(by_rate[1e-1]), (0.0, -np.inf))
        self.assertEqual(d5.choose_learning_rate(by_rate), 1e-3)


class DTuningStudyTest(tf.test.TestCase):
    """`Study.tune` on stored tuning runs: the rates and the best setting."""

    RATES = (1e-4, 1e-3, 1e-2)  # the grid, with the sheet's 1e-3

    def val_and_test(self, opt, bs, lr):
        """Validation peaks at 1e-3 but for momentum (1e-2); test at 1e-4.

        The best setting on validation is rmsprop at batch 10; on test, sgd
        at batch 100.
        """
        best = 1e-2 if opt == "momentum" else 1e-3
        val = 0.9 - 0.1 * abs(np.log10(lr / best))
        val += {"sgd": 0.0, "momentum": 0.01, "rmsprop": 0.02}[opt]
        val += 0.03 if bs == 10 else 0.0
        test = 0.5 + 0.1 * (lr == 1e-4) + 0.2 * (opt == "sgd" and bs == 100)
        return val, test

    def write_runs(self, study, replace_seed=None) -> None:
        cfg = study.cfg
        data = [
            cfg.train_per_class,
            cfg.test_per_class,
            cfg.data_seed,
            cfg.val_fraction,
            cfg.split_seed,
        ]
        for opt in cfg.optimizers:
            for bs in cfg.batch_sizes:
                for lr in self.RATES:
                    for s in cfg.tuning_seeds:
                        val, test = self.val_and_test(opt, bs, lr)
                        history = d_history(val, 1 - val, test)
                        if replace_seed is not None:
                            history = replace_test_numbers(history, replace_seed + s)
                        spec = {"optimizer": opt, "batch_size": bs}
                        spec |= {"learning_rate": lr, "seed": s}
                        record = {**spec, "epochs": cfg.epochs, "data": data}
                        name = f"{d5.setting_key(opt, bs)}-lr{lr:g}-seed{s}"
                        path = study.root / "d5/tuning" / f"{name}.json"
                        path.parent.mkdir(parents=True, exist_ok=True)
                        path.write_text(json.dumps({"run": record, "history": history}))

    def test_rates_and_best_setting_are_chosen_on_validation(self):
        cfg = d5.Config(
            batch_sizes=(10, 100),
            tuning_seeds=(100, 101),
            rates={o: (1e-4, 1e-2) for o in ("sgd", "momentum", "rmsprop")},
            grid_extensions=0,
        )
        study = object.__new__(d5.Study)  # no data: every run is read back
        study.cfg, study.root = cfg, Path(self.get_temp_dir())
        self.write_runs(study)
        result = study.tune()
        expected = {
            d5.setting_key(o, b): 1e-2 if o == "momentum" else 1e-3
            for o in cfg.optimizers
            for b in cfg.batch_sizes
        }
        self.assertEqual(result["chosen"], expected)
        self.assertEqual(
            {
                k: result["best"][k]
                for k in ("optimizer", "batch_size", "learning_rate")
            },
            {"optimizer": "rmsprop", "batch_size": 10, "learning_rate": 1e-3},
        )
        for seed in (0, 10):
            self.write_runs(study, seed)
            again = study.tune()
            for key in ("chosen", "best", "table", "scores"):
                self.assertEqual(again[key], result[key])


if __name__ == "__main__":
    tf.test.main()
