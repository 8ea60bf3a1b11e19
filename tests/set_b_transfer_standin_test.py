"""B2.6's stand-in: class selection, the label budget, the probe and the scratch path."""

import dataclasses
from pathlib import Path
from unittest import mock

import numpy as np
import tensorflow as tf

from tfcnn.answers.set_b import b2_6_transfer as standin
from tfcnn.data.datasets import ImageDataset
from tfcnn.models.cifar import build_cifar_net
from tfcnn.site.catalogue import load_script

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "train_transfer_standin.py"

NAMES = ("airplane", "cat", "dog", "ship")


def tiny_cifar(per_class=40, seed=0) -> ImageDataset:
    """Four classes of 32x32 images, each a flat colour with noise."""
    rng = np.random.default_rng(seed)

    def part(n):
        y = np.repeat(np.arange(4), n)
        x = rng.integers(0, 60, (4 * n, 32, 32, 3)) + 60 * y[:, None, None, None]
        return x.astype(np.uint8), y

    (x_train, y_train), (x_test, y_test) = part(per_class), part(per_class // 4)
    return ImageDataset("tiny", x_train, y_train, x_test, y_test, NAMES, "memory")


class StandinTest(tf.test.TestCase):
    def test_select_classes_keeps_and_relabels(self):
        data = tiny_cifar()
        task = standin.select_classes(data, ("cat", "dog"), keep=True)
        rest = standin.select_classes(data, ("cat", "dog"), keep=False)
        self.assertEqual(task.class_names, ("cat", "dog"))
        self.assertEqual(rest.class_names, ("airplane", "ship"))
        # The relabelled cats are exactly the original class-1 images.
        self.assertAllEqual(
            task.x_train[task.y_train == 0], data.x_train[data.y_train == 1]
        )
        self.assertAllEqual(np.bincount(rest.y_test), [10, 10])

    def test_budget_is_balanced_and_apart_from_validation(self):
        task = standin.select_classes(tiny_cifar(), ("cat", "dog"), keep=True)
        config = dataclasses.replace(standin.Config(), val_fraction=0.25)
        (x, y), (x_val, _) = standin.few_labels(config, task, 5, 0)
        self.assertAllEqual(np.bincount(y), [5, 5])
        flat = {im.tobytes() for im in x}
        self.assertFalse(flat & {im.tobytes() for im in x_val})

    def test_probe_and_scratch_choose_on_validation(self):
        task = standin.select_classes(tiny_cifar(), ("cat", "dog"), keep=True)
        config = dataclasses.replace(
            standin.Config(),
            scratch_epochs=(1, 2),
            scratch_batch_size=8,
            val_fraction=0.25,
            precision="float32",
        )
        labelled, val = standin.few_labels(config, task, 10, 0)
        backbone = build_cifar_net((8, 8, 8), num_classes=2)
        probe = standin.linear_probe(
            standin.feature_model(backbone),
            labelled,
            val,
            (task.x_test, task.y_test),
            (0.1, 1.0),
        )
        self.assertEqual(probe["val_accuracy"], max(probe["val_by_c"].values()))
        self.assertBetween(probe["test_accuracy"], 0.0, 1.0)
        scratch = standin.from_scratch(
            dataclasses.replace(config, backbone_per_class=None), task, 10, 0
        )
        self.assertEqual(
            scratch["val_accuracy"], max(scratch["val_by_epochs"].values())
        )
        self.assertIn(scratch["chosen_epochs"], (1, 2))


class StandinOptionsTest(tf.test.TestCase):
    def config_of(self, argv, flags):
        args = load_script(SCRIPT).parse_args(argv)
        with (
            mock.patch.object(standin.cifar, "cpu_flags", return_value=flags),
            mock.patch.object(standin, "run_transfer") as run,
        ):
            standin.main(args)
        return run.call_args.args[0]

    def test_precision_follows_b2_4(self):
        # bfloat16 where the CPU has AMX, float32 where it would be emulated.
        self.assertEqual(self.config_of([], {"amx_bf16"}).precision, "mixed_bfloat16")
        self.assertEqual(self.config_of([], {"avx2"}).precision, "float32")
        chosen = self.config_of(["--precision", "mixed_bfloat16"], {"avx2"})
        self.assertEqual(chosen.precision, "mixed_bfloat16")
        self.assertEqual(self.config_of(["--seed", "4"], {"avx2"}).seeds, (4,))


if __name__ == "__main__":
    tf.test.main()
