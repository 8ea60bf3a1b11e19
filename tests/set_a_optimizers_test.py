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
    plot_speed,
    plot_sweep_curves,
    read_sweep,
    run_sweep,
    summarise_sweep,
    sweep_run_name,
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


if __name__ == "__main__":
    tf.test.main()
