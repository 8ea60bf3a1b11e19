"""The over-fitting study's pieces: small draws, variants, the choice rule."""

import numpy as np
import tensorflow as tf

from tfcnn.answers.set_c.c4_overfitting import (
    Variant,
    best_in_series,
    choose_variant,
    plot_full_vs_few,
    series,
    study_variants,
    variant_summary,
)
from tfcnn.data.splits import Split, few_example_split


def fake_split(n_per_class=40, classes=10):
    y = np.repeat(np.arange(classes), n_per_class)
    x = np.arange(len(y), dtype=np.float32)[:, None, None, None] * np.ones(
        (1, 2, 2, 1), np.float32
    )
    x_test = -np.ones((7, 2, 2, 1), np.float32)
    return Split(x, y, x[:0], y[:0], x_test, np.zeros(7, int), tuple(range(classes)))


class FewExampleSplitTest(tf.test.TestCase):
    def test_counts_disjoint_and_from_training_images(self):
        full = fake_split()
        small = few_example_split(full, per_class=25, val_per_class=5, draw=3)
        self.assertAllEqual(np.bincount(small.y_train), [20] * 10)
        self.assertAllEqual(np.bincount(small.y_val), [5] * 10)
        train_ids = small.x_train[:, 0, 0, 0].astype(int)
        val_ids = small.x_val[:, 0, 0, 0].astype(int)
        self.assertEmpty(np.intersect1d(train_ids, val_ids))
        # Each image keeps its own label: image k has label k // 40.
        self.assertAllEqual(full.y_train[train_ids], small.y_train)
        self.assertAllEqual(full.y_train[val_ids], small.y_val)
        self.assertAllEqual(small.x_test, full.x_test)

    def test_no_validation_trains_on_all(self):
        small = few_example_split(fake_split(), per_class=25, val_per_class=0, draw=0)
        self.assertLen(small.y_train, 250)
        self.assertLen(small.y_val, 0)

    def test_same_draw_same_images_and_other_draws_differ(self):
        a = few_example_split(fake_split(), draw=1).x_train
        self.assertAllEqual(a, few_example_split(fake_split(), draw=1).x_train)
        self.assertNotAllEqual(a, few_example_split(fake_split(), draw=2).x_train)

    def test_rejects_holding_out_everything(self):
        with self.assertRaisesRegex(ValueError, "val_per_class"):
            few_example_split(fake_split(), per_class=5, val_per_class=5)


class VariantTest(tf.test.TestCase):
    def test_dropout_layers_take_the_drop_rate(self):
        model = Variant(keep_probability=0.7).build()
        rates = [layer.rate for layer in model.layers if "dropout" in layer.name]
        self.assertLen(rates, 3)  # after both conv blocks and the hidden dense
        self.assertAllClose(rates, [0.3] * 3)

    def test_no_dropout_at_keep_one(self):
        model = Variant().build()
        self.assertFalse(any("dropout" in layer.name for layer in model.layers))

    def test_augmentation_adds_no_trainable_weights(self):
        plain = Variant(keep_probability=0.5).build()
        augmented = Variant(keep_probability=0.5, augment=True).build()
        count = lambda m: sum(int(np.prod(w.shape)) for w in m.trainable_weights)  # noqa: E731
        self.assertEqual(count(plain), count(augmented))
        x = np.random.default_rng(0).random((2, 28, 28, 1)).astype(np.float32)
        # At inference the augmentation layers pass images through unchanged.
        inner = augmented.layers[-1]
        self.assertAllClose(augmented(x, training=False), inner(x, training=False))

    def test_names_have_no_dots_and_variants_are_unique(self):
        variants = study_variants(((32, 64, 1024), (4, 8, 32)), (0.5, 1.0), 0.5)
        names = [v.name for v in variants]
        self.assertLen(set(names), 4)  # the original at keep 1.0 appears once
        self.assertFalse(any("." in name for name in names))


class ChooseTest(tf.test.TestCase):
    def summary(self, val, params):
        return {"val_accuracy": {"mean": val}, "params": params}

    def test_best_validation_then_fewest_parameters(self):
        summaries = {
            "a": self.summary(0.90, 100),
            "b": self.summary(0.92, 500),
            "c": self.summary(0.92, 200),
        }
        self.assertEqual(choose_variant(summaries), "c")

    def test_variant_summary_ratio(self):
        history = [{"train_accuracy": 1.0, "val_accuracy": 0.8, "test_accuracy": 0.9}]
        runs = [{"history": history, "params": 7}, {"history": history, "params": 7}]
        summary = variant_summary(runs)
        self.assertAllClose(summary["test_train_ratio"]["mean"], 0.9)
        self.assertEqual(summary["params"], 7)


class SeriesTest(tf.test.TestCase):
    def test_series_split_sizes_keep_sweep_and_augmented(self):
        variants = study_variants(((32, 64, 1024), (4, 8, 32)), (0.5, 1.0), 0.5)
        members = series(variants)
        self.assertEqual(
            [v.name for v in members["sizes"]],
            ["f32-64_u1024_keep100", "f4-8_u32_keep100"],
        )
        self.assertEqual(
            [v.name for v in members["dropout"]],
            ["f32-64_u1024_keep100", "f32-64_u1024_keep50"],
        )
        self.assertEqual(
            [v.name for v in members["augmented"]], ["f32-64_u1024_keep50_aug"]
        )

    def test_layers_shrunk_alone_form_their_own_series(self):
        variants = study_variants(
            ((32, 64, 1024), (4, 8, 32)), (1.0,), None, (64,), ((8, 16),)
        )
        members = series(variants)
        names = {key: [v.name for v in vs] for key, vs in members.items()}
        self.assertEqual(names["sizes"], ["f32-64_u1024_keep100", "f4-8_u32_keep100"])
        self.assertEqual(names["dense"], ["f32-64_u1024_keep100", "f32-64_u64_keep100"])
        self.assertEqual(
            names["convs"], ["f32-64_u1024_keep100", "f8-16_u1024_keep100"]
        )
        self.assertEqual(names["dropout"], ["f32-64_u1024_keep100"])
        self.assertEqual(names["augmented"], [])

    def test_best_in_series_picks_each_metric_separately(self):
        variants = study_variants(((32, 64, 1024),), (0.3, 0.5, 1.0), None)

        def row(val, test, ratio):
            return {
                "val_accuracy": {"mean": val},
                "test_accuracy": {"mean": test},
                "test_train_ratio": {"mean": ratio},
                "params": 10,
            }

        sweep = {
            "f32-64_u1024_keep30": row(0.90, 0.91, 0.95),
            "f32-64_u1024_keep50": row(0.92, 0.90, 0.93),
            "f32-64_u1024_keep100": row(0.85, 0.93, 0.90),
        }
        best = best_in_series(sweep, variants)["dropout"]
        self.assertEqual(best["val_accuracy"]["keep_probability"], 0.5)
        self.assertEqual(best["test_accuracy"]["keep_probability"], 1.0)
        self.assertEqual(best["test_train_ratio"]["keep_probability"], 0.3)
        self.assertAllClose(best["test_train_ratio"]["mean"], 0.95)
        self.assertNotIn("augmented", best_in_series(sweep, variants))


class PlotTest(tf.test.TestCase):
    def test_ratio_panel_has_one_mean_line_per_group_named_by_group(self):
        def runs(n, scale):
            return [
                [
                    {
                        "iteration": 50 * (i + 1),
                        "train_accuracy": 1.0,
                        "test_accuracy": scale * (i + 1) / 4 + 0.01 * k,
                    }
                    for i in range(4)
                ]
                for k in range(n)
            ]

        full, few, chosen = runs(3, 0.9), runs(2, 0.5), runs(2, 0.6)
        ratio_ax = plot_full_vs_few(full, few, chosen, "f8-16_u64_keep50").axes[2]
        handles, labels = ratio_ax.get_legend_handles_labels()
        self.assertEqual(
            labels, ["all 54,000", "250, original", "250, f8-16_u64_keep50"]
        )
        self.assertAllClose(handles[0].get_ydata(), 0.9 * np.arange(1, 5) / 4 + 0.01)
        self.assertEqual(ratio_ax.get_xscale(), "log")
