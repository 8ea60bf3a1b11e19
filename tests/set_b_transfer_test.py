"""Set B, bonus B2.6: folder and labels-CSV loaders, transfer model, end to end on generated images."""

import csv
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from PIL import Image

from tfcnn.data import augment, folders
from tfcnn.models.transfer import build_backbone, build_transfer_model

COLOURS = {"beagle": (200, 40, 40), "collie": (40, 200, 40), "pug": (40, 40, 200)}
SMALL = {"backbone": "mobilenet_v2", "input_shape": (32, 32, 3), "alpha": 0.35}


def write_image(path: Path, colour, seed: int) -> None:
    """A 40x48 image of one dominant colour with noise (sizes differ from the model's)."""
    noise = np.random.default_rng(seed).integers(-30, 30, size=(40, 48, 3))
    Image.fromarray(np.clip(np.array(colour) + noise, 0, 255).astype(np.uint8)).save(
        path
    )


def class_folders(root: Path, per_class: int = 6) -> Path:
    for c, (name, colour) in enumerate(COLOURS.items()):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            write_image(root / name / f"{i:03d}.png", colour, 10 * c + i)
    return root


class FolderLoaderTest(tf.test.TestCase):
    def test_reads_resizes_and_labels_class_folders(self):
        root = class_folders(Path(self.get_temp_dir()) / "folders")
        train, val, names = folders.image_folder_datasets(root, image_size=(32, 32), batch_size=4,
                                                          validation_split=0.25, seed=1)  # fmt: skip
        self.assertEqual(names, ("beagle", "collie", "pug"))
        counts = []
        for dataset in (train, val):
            n = 0
            for images, labels in dataset:
                self.assertEqual(images.shape[1:], (32, 32, 3))
                self.assertEqual(images.dtype, tf.float32)
                # Each image's dominant channel identifies its class: the labels follow the folders.
                self.assertAllEqual(
                    images.numpy().mean(axis=(1, 2)).argmax(axis=1), labels.numpy()
                )
                n += len(labels)
            counts.append(n)
        self.assertEqual(sum(counts), 18)
        self.assertBetween(counts[1], 4, 5)

    def test_labels_csv_becomes_class_folders(self):
        tmp = Path(self.get_temp_dir())
        images = tmp / "train"
        images.mkdir(exist_ok=True)
        rows = []
        for i in range(9):
            name = list(COLOURS)[i % 3]
            write_image(images / f"id{i:02d}.jpg", COLOURS[name], i)
            rows.append({"id": f"id{i:02d}", "breed": name})
        with open(tmp / "labels.csv", "w", newline="") as handle:
            writer = csv.DictWriter(handle, ["id", "breed"])
            writer.writeheader()
            writer.writerows(rows)
        names = folders.csv_to_class_folders(
            tmp / "labels.csv", images, tmp / "by_class"
        )
        self.assertEqual(names, ("beagle", "collie", "pug"))
        for name in names:
            linked = sorted(p.name for p in (tmp / "by_class" / name).iterdir())
            self.assertEqual(
                linked, [f"{r['id']}.jpg" for r in rows if r["breed"] == name]
            )
        (images / "id04.jpg").unlink()
        with self.assertRaisesRegex(ValueError, "id04"):
            folders.csv_to_class_folders(tmp / "labels.csv", images, tmp / "again")

    def test_csv_without_the_label_column_is_rejected(self):
        path = Path(self.get_temp_dir()) / "bad.csv"
        path.write_text("id,label\na,b\n")
        with self.assertRaisesRegex(ValueError, "breed"):
            folders.read_labels_csv(path)

    def test_augmentation_keeps_shape_and_is_off_at_inference(self):
        x = tf.constant(
            np.random.default_rng(0).uniform(0, 255, size=(4, 32, 32, 3)), tf.float32
        )
        layers = augment.augmentation_layers(seed=3)
        self.assertEqual(layers(x, training=True).shape, x.shape)
        self.assertNotAllClose(layers(x, training=True), x)
        self.assertAllClose(layers(x, training=False), x)


class TransferModelTest(tf.test.TestCase):
    def test_random_backbone_by_default_trains_everything(self):
        model = build_transfer_model(3, **SMALL)
        self.assertEqual(model(np.zeros((2, 32, 32, 3), np.float32)).shape, (2, 3))
        backbone = model.get_layer("mobilenetv2_0.35_32")
        self.assertTrue(backbone.trainable)

    def test_augmentation_inside_the_model_is_off_at_inference(self):
        model = build_transfer_model(
            3, augmentation=augment.augmentation_layers(), **SMALL
        )
        x = (
            np.random.default_rng(0)
            .uniform(0, 255, size=(2, 32, 32, 3))
            .astype(np.float32)
        )
        self.assertIn("augmentation", [layer.name for layer in model.layers])
        self.assertAllClose(model(x, training=False), model(x, training=False))

    def test_weights_path_loads_and_freezes_the_backbone(self):
        keras.utils.set_random_seed(1)
        source = build_backbone("mobilenet_v2", (32, 32, 3), alpha=0.35)
        path = Path(self.get_temp_dir()) / "backbone.weights.h5"
        source.save_weights(path)
        model = build_transfer_model(3, weights_path=path, **SMALL)
        loaded = model.get_layer(source.name)
        for a, b in zip(source.get_weights(), loaded.get_weights()):
            self.assertAllClose(a, b)
        self.assertFalse(loaded.trainable)
        head_only = [v.name for v in model.trainable_variables]
        self.assertEqual(head_only, ["kernel", "bias"])

    def test_bad_arguments_name_themselves(self):
        with self.assertRaisesRegex(ValueError, "unknown backbone"):
            build_backbone("vgg99")
        with self.assertRaisesRegex(ValueError, "input_shape"):
            build_backbone("inception_v3", (32, 32, 3))
        with self.assertRaisesRegex(ValueError, "weights_path"):
            build_backbone("mobilenet_v2", (32, 32, 3), weights_path="/no/such/file.h5")


class EndToEndTest(tf.test.TestCase):
    def test_folder_to_submission(self):
        tmp = Path(self.get_temp_dir())
        root = class_folders(tmp / "e2e", per_class=4)
        train, val, names = folders.image_folder_datasets(root, image_size=(32, 32), batch_size=4,
                                                          validation_split=0.25)  # fmt: skip
        # The transfer-learning path: a (here random) backbone loaded from a file
        # and frozen, a new head trained. Training the whole backbone works the
        # same way but takes minutes to trace on a CPU.
        weights = tmp / "backbone.weights.h5"
        build_backbone("mobilenet_v2", (32, 32, 3), alpha=0.35).save_weights(weights)
        model = build_transfer_model(len(names), weights_path=weights, **SMALL)
        model.compile(keras.optimizers.Adam(1e-3),
                      keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])  # fmt: skip
        history = model.fit(
            augment.augment_dataset(train),
            validation_data=val,
            epochs=1,
            verbose=0,
            shuffle=False,  # the dataset carries its own order
        )
        self.assertTrue(np.isfinite(history.history["loss"][0]))
        test_dir = tmp / "test"
        test_dir.mkdir(exist_ok=True)
        for i, colour in enumerate(COLOURS.values()):
            write_image(test_dir / f"img{i}.jpg", colour, 100 + i)
        ids, test = folders.test_images(test_dir, image_size=(32, 32))
        probabilities = tf.nn.softmax(model.predict(test, verbose=0)).numpy()
        path = folders.write_submission(
            tmp / "submission.csv", ids, probabilities, names
        )
        with open(path) as handle:
            rows = list(csv.reader(handle))
        self.assertEqual(rows[0], ["id", *names])
        self.assertEqual([r[0] for r in rows[1:]], ["img0", "img1", "img2"])
        self.assertAllClose(
            [sum(map(float, r[1:])) for r in rows[1:]], [1.0] * 3, atol=1e-4
        )
        with self.assertRaisesRegex(ValueError, "shape"):
            folders.write_submission(tmp / "bad.csv", ids, probabilities[:, :2], names)


if __name__ == "__main__":
    tf.test.main()
