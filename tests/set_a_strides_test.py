"""tfcnn.answers.set_a.a3_a4_strides: recipes, the dropout model, search and summary."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from tfcnn.answers.set_a.a3_a4_strides import (
    Config,
    Recipe,
    build_stride_model,
    checkpoint_dir,
    chosen_recipe,
    compare_recipes,
    search_recipes,
    shift_tolerance,
    stride_run_name,
    summarise_strides,
    train_runs,
)
from tfcnn.data.augment import shift_by
from tfcnn.data.splits import Split
from tfcnn.training.metrics import accuracy_and_loss, predict_probabilities


def tiny_config(**changes) -> Config:
    """The smoke run's settings with a 2-filter network, for 60-image data."""
    return dataclasses.replace(
        Config().quick(),
        filters=2,
        learning_rate=0.01,
        batch_size=32,
        seeds=(0, 1),
        train_eval_size=30,
        examples_shown=4,
        backend="tensorflow",
        **changes,
    )


def tiny_split(n=60, seed=0) -> Split:
    """28x28 images of 10 classes, each with a bright row at 2 * class."""
    rng = np.random.default_rng(seed)

    def images(count):
        y = np.arange(count) % 10
        x = rng.random((count, 28, 28, 1)).astype(np.float32) * 0.3
        x[np.arange(count), 2 * y + 4, 4:24, 0] += 1.0
        return x, y.astype(np.int64)

    parts = [images(n), images(n // 2), images(n // 2)]
    return Split(*(a for part in parts for a in part), tuple("abcdefghij"))


class ShiftTest(tf.test.TestCase):
    def test_shift_by_matches_a_roll_with_the_wrapped_pixels_zeroed(self):
        x = np.random.default_rng(0).random((3, 6, 5, 1)).astype(np.float32)
        expected = np.roll(x, (-2, 1), axis=(1, 2))
        expected[:, -2:] = 0
        expected[:, :, :1] = 0
        self.assertAllEqual(shift_by(x, -2, 1), expected)
        self.assertAllEqual(shift_by(x, 0, 0), x)


class RecipeAndModelTest(tf.test.TestCase):
    def test_names_and_description(self):
        plain, tuned = Recipe(), Recipe("aug", 20, max_shift=2, flip=True, dropout=0.5)
        self.assertEqual(stride_run_name("torch", plain, 2, 1), "torch_stride2_seed1")
        self.assertEqual(
            stride_run_name("torch", tuned, 2, 1), "torch_aug_stride2_seed1"
        )
        config = tiny_config(checkpoints="ck")
        self.assertEqual(
            checkpoint_dir(config, tuned, 1, 0), Path("ck/tensorflow/aug_stride1_seed0")
        )
        self.assertEqual(
            tuned.describe(), "shifts ≤ 2 px, flips, dropout 0.5, 20 epochs"
        )
        self.assertEqual(plain.describe(), "10 epochs")

    def test_dropout_adds_no_parameters_and_is_the_identity_at_inference(self):
        config = Config()
        for stride, total in ((1, 185_162), (2, 46_922)):  # 832 + 32n²·10 + 10
            plain, dropped = (
                build_stride_model(config, stride),
                build_stride_model(config, stride, dropout=0.5),
            )
            self.assertEqual(plain.count_params(), total)
            self.assertEqual(dropped.count_params(), total)
            dropped.set_weights(plain.get_weights())
            x = np.random.default_rng(0).random((4, 28, 28, 1)).astype(np.float32)

            inference, training = (
                keras.ops.convert_to_numpy(dropped(x, training=t))
                for t in (False, True)
            )
            expected = keras.ops.convert_to_numpy(plain(x, training=False))
            self.assertAllClose(inference, expected)
            self.assertNotAllClose(training, expected)


class ConfigTest(tf.test.TestCase):
    def test_quick_is_a_small_run_of_the_same_experiment(self):
        full = Config(seeds=(3, 4))
        quick = full.quick()
        self.assertEqual(quick.seeds, (3,))
        self.assertEqual(quick.plain(), Recipe(epochs=2))
        self.assertEqual([r.epochs for r in quick.candidates], [2, 2])
        self.assertEqual(
            [dataclasses.replace(r, epochs=20) for r in quick.candidates],
            list(full.candidates[:2]),
        )
        self.assertEqual(quick.train_size, 2000)
        self.assertIsNone(full.train_size)
        self.assertTrue(quick.checkpoints.startswith("runs/quick/"))
        self.assertEqual(full.plain(), Recipe(epochs=10))


class SearchAndSummaryTest(tf.test.TestCase):
    def test_search_chooses_on_validation_and_summary_uses_the_chosen_epoch(self):
        root = Path(self.get_temp_dir())
        # One stride keeps the test short; the search runs seed 0, the rest seed 1.
        candidates = (
            Recipe("slow", 2, dropout=0.5, cosine_decay=True),
            Recipe("shifted", 3, max_shift=1, weight_decay=0.01),
        )
        config = tiny_config(
            strides=(2,),
            checkpoints=str(root / "checkpoints"),
            candidates=candidates,
            search_stride=2,
        )
        split = tiny_split()
        chosen = search_recipes(config, split, root)
        search = json.loads((root / "a3/search_tensorflow.json").read_text())
        best = {
            r.name: max(
                row["val_accuracy"]
                for row in json.loads(
                    (
                        root / f"a3/{stride_run_name('tensorflow', r, 2, 0)}.json"
                    ).read_text()
                )["history"]
            )
            for r in candidates
        }
        self.assertEqual(search["val_accuracy"], best)
        self.assertEqual(chosen.name, max(best, key=best.get))
        self.assertEqual(chosen_recipe(root), chosen)
        self.assertLen(search["table"]["rows"], 3)  # plain reference + candidates

        for recipe in (config.plain(), chosen):
            train_runs(config, split, recipe, config.strides, config.seeds, root)
            summary = summarise_strides(config, split, recipe, root, examples=False)
            entry = summary["stride2"]
            histories = [
                json.loads(
                    (
                        root / f"a3/{stride_run_name('tensorflow', recipe, 2, k)}.json"
                    ).read_text()
                )["history"]
                for k in config.seeds
            ]
            means = np.mean([[r["val_accuracy"] for r in h] for h in histories], 0)
            self.assertEqual(entry["chosen_epoch"], int(np.argmax(means)) + 1)
            # The test accuracy is that of the weights saved at the chosen epoch.
            found = []
            for k in config.seeds:
                model = build_stride_model(config, 2, recipe.dropout)
                model.load_weights(
                    checkpoint_dir(config, recipe, 2, k)
                    / f"epoch{entry['chosen_epoch']}.weights.h5"
                )
                probabilities = predict_probabilities(model, split.x_test)
                found.append(accuracy_and_loss(probabilities, split.y_test)["accuracy"])
            self.assertAllClose(entry["test_accuracy"]["mean"], np.mean(found))
            self.assertAllClose(entry["test_accuracy_by_seed"], found)
            self.assertAllClose(entry["test_accuracy_range"]["min"], min(found))
            if recipe.name == "plain":
                shifts = shift_tolerance(config, split, recipe, summary, root, (0, 1))
                by_seed = np.array(shifts["stride2"]["by_seed"])
                self.assertAllClose(by_seed[:, 0], found)
                # 1 px in the 8 directions, by hand: np.roll, wrapped pixels zeroed.
                model.load_weights(
                    checkpoint_dir(config, recipe, 2, config.seeds[-1])
                    / f"epoch{entry['chosen_epoch']}.weights.h5"
                )
                by_hand = []
                for dy in (-1, 0, 1):
                    for dx in (-1, 0, 1):
                        if not (dy or dx):
                            continue
                        moved = np.roll(split.x_test, (dy, dx), axis=(1, 2))
                        if dy:
                            moved[:, 0 if dy > 0 else -1] = 0
                        if dx:
                            moved[:, :, 0 if dx > 0 else -1] = 0
                        probabilities = predict_probabilities(model, moved)
                        by_hand.append(
                            accuracy_and_loss(probabilities, split.y_test)["accuracy"]
                        )
                self.assertAllClose(by_seed[-1, 1], np.mean(by_hand))
                self.assertLen(shifts["table"]["rows"], 1)
        compare_recipes(root, "tensorflow", config.strides)
        recipes = json.loads((root / "a3/recipes_tensorflow.json").read_text())
        self.assertLen(recipes["table"]["rows"], 2)


if __name__ == "__main__":
    tf.test.main()
