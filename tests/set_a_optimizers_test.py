"""tfcnn.answers.set_a.a6_optimizers: learning-rate scaling, the sweep summary on made-up runs."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import tensorflow as tf

from tfcnn.answers.set_a.a6_optimizers import (
    LABELS,
    Config,
    activation_megabytes,
    learning_rate,
    level_key,
    plot_speed,
    plot_sweep_curves,
    plot_time_to_accuracy,
    read_sweep,
    run_sweep,
    summarise_sweep,
    sweep_run_name,
    threads_of_runs,
)
from tfcnn.data.splits import Split


def sweep_config(**changes) -> Config:
    """The sheet's sweep at batch 32 and 1,000 only."""
    return dataclasses.replace(Config(), batch_sizes=(32, 1000), **changes)


def made_up_run(accuracy, cpu=None, batch=32, n_train=1000):
    history = [
        {
            "epoch": e,
            "train_accuracy": accuracy - 0.1 / e,
            "val_accuracy": accuracy - 0.2 / e,
            "train_loss": 1.0 / e,
            "val_loss": 1.5 / e,
        }
        for e in (1, 2)
    ]
    run = {
        "history": history,
        "epoch_seconds": [10.0, 4.0],
        "updates_per_epoch": -(-n_train // batch),
        "learning_rate": 0.01,
        "n_train": n_train,
    }
    if cpu is not None:
        run["epoch_cpu_seconds"] = [9.0, cpu]
    return run


class ConfigTest(tf.test.TestCase):
    def test_quick_is_a_small_run_of_the_same_sweep(self):
        full, quick = Config(seeds=(5, 6)), Config(seeds=(5, 6)).quick()
        self.assertEqual(quick.seeds, (5,))
        self.assertEqual(quick.epochs, 2)
        self.assertEqual(quick.train_size, 2000)
        self.assertLessEqual(max(quick.batch_sizes), quick.train_size)
        self.assertEqual(quick.optimizers, full.optimizers)
        self.assertEqual(quick.base_learning_rates, full.base_learning_rates)
        self.assertIsNone(full.train_size)


class LearningRateTest(tf.test.TestCase):
    def test_scalings_by_hand(self):
        for scaling, factor in (("none", 1.0), ("sqrt", 2.0), ("linear", 4.0)):
            config = sweep_config(lr_scaling=scaling)
            self.assertAllClose(learning_rate(config, "sgd", 128), 0.01 * factor)
            self.assertAllClose(learning_rate(config, "rmsprop", 32), 0.001)
        with self.assertRaisesRegex(ValueError, "lr_scaling"):
            learning_rate(sweep_config(lr_scaling="square"), "sgd", 64)

    def test_activation_memory_by_hand(self):
        # 2 tensors x 24 x 24 x 32 float32 per image = 147,456 bytes.
        self.assertAllClose(activation_megabytes(1), 147_456 / 2**20)
        self.assertAllClose(activation_megabytes(10_000), 1_474_560_000 / 2**20)


class SummaryTest(tf.test.TestCase):
    def write(self, root, optimizer, batch, seed, run):
        folder = root / "a6"
        folder.mkdir(parents=True, exist_ok=True)
        name = sweep_run_name(optimizer, batch, "none", seed)
        (folder / f"{name}.json").write_text(json.dumps(run))

    def test_summary_means_spreads_and_missing_seeds(self):
        root = Path(self.get_temp_dir())
        accuracy = {("sgd", 32): 0.8, ("rmsprop", 32): 0.9, ("sgd", 1000): 0.6}
        for (optimizer, batch), acc in accuracy.items():
            for seed in (0, 1, 2):
                self.write(
                    root,
                    optimizer,
                    batch,
                    seed,
                    made_up_run(acc + 0.01 * seed, cpu=2.0 + seed, batch=batch),
                )
        # rmsprop at batch 1,000: seed 2 missing, seed 0 without CPU time.
        self.write(root, "rmsprop", 1000, 0, made_up_run(0.7, batch=1000))
        self.write(root, "rmsprop", 1000, 1, made_up_run(0.7, cpu=8.0, batch=1000))
        config = sweep_config()
        _, seeds = read_sweep(config, root)
        self.assertEqual(seeds["rmsprop_b1000"], [0, 1])
        runs = summarise_sweep(config, root)
        summary = json.loads((root / "a6/summary_none.json").read_text())
        sgd = summary["runs"]["sgd_b32"]
        self.assertAllClose(sgd["val_accuracy"]["mean"], 0.8 + 0.01 - 0.1)
        self.assertAllClose(sgd["val_accuracy"]["std"], 0.01)
        self.assertEqual(sgd["updates_per_epoch"], 32)  # ceil(1000 / 32)
        self.assertEqual(sgd["updates_in_run"], 64)
        self.assertAllClose(sgd["epoch_cpu_seconds"]["mean"], 3.0)  # epochs 2..E
        pooled = summary["cpu_by_batch"]["1000"]
        self.assertEqual(pooled["runs_with_cpu_time"], 4)
        self.assertAllClose(pooled["epoch_cpu_seconds"]["mean"], np.mean([2, 3, 4, 8]))
        self.assertAllClose(
            pooled["cpu_microseconds_per_example"]["mean"], 1e6 * 4.25 / 1000
        )
        self.assertAllClose(  # ceil(1000 / 1000) = 1 update per epoch
            pooled["cpu_milliseconds_per_update"]["mean"], 1e3 * 4.25 / 1
        )
        rows = {(r[0], r[1]): r for r in summary["table"]["rows"]}
        self.assertEqual(rows["RMSProp", "1,000"][2], "0, 1")
        self.assertEqual(rows["RMSProp", "1,000"][-1], "8.0 (n = 1)")
        for plot in (plot_sweep_curves, plot_speed):
            fig = plot(runs, config.optimizers, config.batch_sizes, LABELS)
            self.assertNotEmpty(fig.axes)

    def test_a_sweep_trains_each_run_once_and_records_its_setting(self):
        rng = np.random.default_rng(0)
        y = np.arange(40) % 10
        x = rng.random((40, 28, 28, 1)).astype(np.float32)
        split = Split(x, y, x[:20], y[:20], x[:20], y[:20], tuple("abcdefghij"))
        root = Path(self.get_temp_dir())
        config = dataclasses.replace(
            Config().quick(), batch_sizes=(8, 40), epochs=1, lr_scaling="linear"
        )
        run_sweep(config, split, root)
        run = json.loads((root / "a6" / "rmsprop_b40_linear_seed0.json").read_text())
        self.assertEqual(run["updates_per_epoch"], 1)
        self.assertEqual(run["n_train"], 40)
        self.assertAllClose(run["learning_rate"], 0.001 * 40 / 32)
        self.assertEqual(run["meta"]["config"]["train_size"], 2000)
        written = {p: p.stat().st_mtime_ns for p in (root / "a6").glob("*.json")}
        self.assertLen(written, 4)
        run_sweep(config, split, root)  # all written: nothing is trained again
        self.assertEqual(
            written, {p: p.stat().st_mtime_ns for p in (root / "a6").glob("*.json")}
        )

    def test_a_group_without_runs_is_an_error(self):
        with self.assertRaisesRegex(FileNotFoundError, "run the sweep"):
            read_sweep(sweep_config(), Path(self.get_temp_dir()) / "empty")


def timed_run(val_accuracy, cpu=None, batch=32, seed=0, threads=1):
    """A made-up run of len(val_accuracy) epochs, with per-epoch CPU seconds or none."""
    run = made_up_run(0.5, batch=batch)
    run["history"] = [
        {**made_up_run(0.5)["history"][0], "epoch": e, "val_accuracy": acc}
        for e, acc in enumerate(val_accuracy, start=1)
    ]
    run["epoch_seconds"] = [20.0] * len(val_accuracy)
    run["meta"] = {"seed": seed, "config": {"threads": threads}}
    if cpu is not None:
        run["epoch_cpu_seconds"] = cpu
    return run


class TimeToAccuracyTest(tf.test.TestCase):
    """Two seeds, three epochs, levels 80 % and 90 %, worked out by hand."""

    RUNS = {
        # cumulative CPU: seed 0 10, 15, 20; seed 1 12, 18, 24.
        # Seed mean 0.71, 0.79, 0.88: 80 % at epoch 3, (20 + 24) / 2 = 22 s.
        ("sgd", 32): [
            ([0.70, 0.80, 0.90], [10.0, 5.0, 5.0]),
            ([0.72, 0.78, 0.86], [12.0, 6.0, 6.0]),
        ],
        # Never 80 %, and no CPU time at all.
        ("sgd", 1000): [([0.5, 0.6, 0.7], None), ([0.5, 0.6, 0.7], None)],
        # Seed 1 without CPU time: times are seed 0's (11, 16, 21), n = 1.
        # Seed mean 0.84, 0.905, 0.925: 80 % at epoch 1 (11 s), 90 % at 2 (16 s).
        ("rmsprop", 32): [
            ([0.85, 0.91, 0.92], [11.0, 5.0, 5.0]),
            ([0.83, 0.90, 0.93], None),
        ],
        # Seed mean 0.825, 0.845, 0.875: 80 % at epoch 1, 4 s; never 90 %.
        ("rmsprop", 1000): [
            ([0.84, 0.85, 0.88], [4.0, 2.0, 2.0]),
            ([0.81, 0.84, 0.87], [4.0, 2.0, 2.0]),
        ],
    }

    def summary(self):
        root = Path(self.get_temp_dir()) / "timed"
        folder = root / "a6"
        folder.mkdir(parents=True, exist_ok=True)
        for (optimizer, batch), seeds in self.RUNS.items():
            for seed, (accuracy, cpu) in enumerate(seeds):
                name = sweep_run_name(optimizer, batch, "none", seed)
                run = timed_run(accuracy, cpu, batch=batch, seed=seed)
                (folder / f"{name}.json").write_text(json.dumps(run))
        config = sweep_config(seeds=(0, 1), time_levels=(0.80, 0.90))
        summarise_sweep(config, root)
        return json.loads((folder / "summary_none.json").read_text())

    def test_times_to_each_level_by_hand(self):
        summary = self.summary()
        self.assertEqual(summary["threads"], 1)
        times = summary["time_to_accuracy"]
        self.assertEqual(times["levels"], [0.8, 0.9])
        sgd = times["settings"]["sgd_b32"]
        self.assertEqual(sgd["80"]["epoch"], 3)
        self.assertAllClose(sgd["80"]["cpu_seconds"]["mean"], 22.0)
        self.assertEqual(sgd["80"]["updates"], 3 * 32)  # ceil(1000 / 32) per epoch
        # Each seed: seed 0 at epoch 2 (15 s), seed 1 at epoch 3 (24 s).
        self.assertEqual(sgd["80"]["seeds"]["0"]["epoch"], 2)
        self.assertAllClose(sgd["80"]["seeds"]["1"]["cpu_seconds"], 24.0)
        self.assertAllClose(sgd["80"]["seed_cpu_seconds"]["mean"], 19.5)
        self.assertAllClose(sgd["80"]["seed_cpu_seconds"]["std"], 9 / np.sqrt(2))
        # 90 %: seed 0 at epoch 3, seed 1 never, the mean never: no spread.
        self.assertFalse(sgd["90"]["reached"])
        self.assertEqual(sgd["90"]["seeds_reaching"], 1)
        self.assertIsNone(sgd["90"]["seeds"]["1"])
        self.assertIsNone(sgd["90"]["seed_cpu_seconds"])
        rmsprop = times["settings"]["rmsprop_b32"]
        self.assertEqual(rmsprop["90"]["epoch"], 2)
        self.assertEqual(rmsprop["90"]["cpu_seconds"]["n"], 1)
        self.assertAllClose(rmsprop["90"]["cpu_seconds"]["mean"], 16.0)
        self.assertIsNone(rmsprop["90"]["seeds"]["1"]["cpu_seconds"])
        self.assertEqual(rmsprop["90"]["seed_cpu_seconds"]["n"], 1)
        self.assertFalse(times["settings"]["sgd_b1000"]["80"]["reached"])
        fastest = times["fastest"]
        self.assertEqual(fastest["80"]["setting"], "rmsprop_b1000")
        self.assertAllClose(fastest["80"]["cpu_seconds"], 4.0)
        self.assertEqual(fastest["80"]["updates"], 1)
        self.assertEqual(fastest["80"]["next"]["setting"], "rmsprop_b32")
        self.assertEqual(fastest["90"]["label"], "RMSProp, batch 32")
        self.assertIsNone(fastest["90"]["next"])
        # Updates per CPU second of epochs 2..3: 32 updates in 5 (seed 0), 6 s (seed 1).
        self.assertAllClose(times["updates_per_cpu_second"]["sgd_b32"], 32 / 5.5)
        self.assertIsNone(times["updates_per_cpu_second"]["sgd_b1000"])
        rows = {(r[0], r[1]): r[2:] for r in times["table"]["rows"]}
        self.assertEqual(rows["SGD", "32"], ["5.8", "22 s (epoch 3)", "not reached"])
        self.assertEqual(
            rows["RMSProp", "32"], ["6.4", "11 s (epoch 1)", "16 s (epoch 2)"]
        )
        self.assertEqual(
            rows["SGD", "1,000"], ["not measured", "not reached", "not reached"]
        )
        seeds = {(r[0], r[1]): r[2:] for r in times["seeds_table"]["rows"]}
        self.assertEqual(
            seeds["SGD", "32"],
            ["epochs 2, 3: 19.5 ± 6.4 (n = 2)", "epochs 3, –: 1 of 2 seeds"],
        )
        self.assertEqual(seeds["RMSProp", "32"][0], "epochs 1, 1: 11.0 (n = 1)")
        self.assertEqual(
            times["fastest_table"]["rows"][0],
            ["80%", "RMSProp, batch 1,000", "4", 1, "1", "RMSProp, batch 32: 11 s"],
        )
        fig = plot_time_to_accuracy(
            times["curves"], ("sgd", "rmsprop"), (32, 1000), times["levels"]
        )
        self.assertLen(fig.axes[0].get_lines(), 2 + 3)  # 2 levels, 3 timed settings
        self.assertEqual(fig.axes[0].get_xscale(), "log")

    def test_level_keys_and_threads(self):
        self.assertEqual(
            [level_key(v) for v in (0.8, 0.885, 0.9)], ["80", "88_5", "90"]
        )
        runs = {("sgd", 32): [timed_run([0.5]), timed_run([0.5], threads=0)]}
        self.assertEqual(threads_of_runs(runs), "0, 1")
        runs["sgd", 32][1]["meta"]["config"]["threads"] = 1
        self.assertEqual(threads_of_runs(runs), 1)


if __name__ == "__main__":
    tf.test.main()
