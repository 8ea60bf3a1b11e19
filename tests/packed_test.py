"""Packed training: networks trained together follow exactly their updates alone."""

import numpy as np
import tensorflow as tf

from tfcnn.data.splits import Split
from tfcnn.models import build_reduced_deep, build_shallow
from tfcnn.models.packed import pack_models
from tfcnn.results import set_seed
from tfcnn.training.fit import train_and_record
from tfcnn.training.packed import train_packed, unpack_history

SCHEDULE = dict(
    iterations=20,
    batch_size=16,
    learning_rate=3e-3,
    cosine_decay=True,
    record_every=10,
    train_eval_size=32,
    verbose=0,
)


def small_split():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (96, 28, 28, 1)).astype("float32")
    y = rng.integers(0, 10, 96)
    return Split(x[:64], y[:64], x[64:80], y[64:80], x[80:], y[80:], tuple(range(10)))


def three_networks():
    """Two shallow networks (one shared wide convolution) and a deep one."""
    set_seed(1)
    return [
        build_shallow(filters=2, pool_size=6, name="a"),
        build_shallow(filters=3, pool_size=8, name="b"),
        build_reduced_deep(filters=(2, 3), dense_units=4, padding="valid", name="c"),
    ]


class PackedTest(tf.test.TestCase):
    def test_packed_output_is_each_networks_logits(self):
        networks = three_networks()
        x = small_split().x_test
        packed = pack_models(networks)(x).numpy()
        self.assertEqual(packed.shape, (16, 3, 10))
        for i, net in enumerate(networks):
            self.assertAllClose(packed[:, i], net(x).numpy(), atol=1e-5)

    def test_training_together_equals_training_alone(self):
        split = small_split()
        together = train_packed(three_networks(), split, seed=3, **SCHEDULE)
        for i, alone_net in enumerate(three_networks()):
            alone = train_and_record(alone_net, split, seed=3, **SCHEDULE)
            self.assertEqual(together[i]["params"], alone["params"])
            for key in ("train_loss", "val_accuracy", "test_loss"):
                self.assertAllClose(
                    [r[key] for r in together[i]["history"]],
                    [r[key] for r in alone["history"]],
                    atol=2e-4,
                )

    def test_unlike_first_layers_are_refused(self):
        import keras

        dense = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten()])
        with self.assertRaisesRegex(ValueError, "does not start with a Conv2D"):
            pack_models([dense])

    def test_unpack_keeps_shared_keys_and_one_networks_values(self):
        rows = [{"iteration": 5, "val_accuracy_net0": 0.1, "val_accuracy_net1": 0.9}]
        self.assertEqual(
            unpack_history(rows, 1), [{"iteration": 5, "val_accuracy": 0.9}]
        )


if __name__ == "__main__":
    tf.test.main()
