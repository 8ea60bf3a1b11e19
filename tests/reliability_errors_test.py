"""Every mistake of the error catalogue fails with a message that names the problem
and the fix, and writes nothing (the page docs/what-can-go-wrong.md shows them).

The cases themselves live in `tfcnn.site.error_cases`, which writes the page's
table (`scripts/error_catalogue.py`; their machinery is `tfcnn.site.catalogue`);
here each is run again and checked against expectations written independently
of it.
"""

import builtins
import json
from pathlib import Path

import tensorflow as tf
from absl.testing import parameterized

from tfcnn.data import ChecksumError, DataNotFoundError
from tfcnn.site.catalogue import UsageError, run_case
from tfcnn.site.error_cases import CASES
from tfcnn.training.checkpoints import CheckpointError, TrainingDivergedError

REPO = Path(__file__).resolve().parents[1]

# Case -> (exception type, phrases the message must hold: the problem, then the fix).
EXPECTED = {
    "data_missing": (
        DataNotFoundError,
        ["'mnist' not found", "…/data/mnist (argument data_dir)", "set TFCNN_DATA_DIR"],
    ),
    "idx_truncated": (
        ValueError,
        [
            "train-images-idx3-ubyte.gz: truncated",
            "(20, 28, 28)",
            "Fetch the file again",
        ],
    ),
    "idx_not_gzip": (
        ValueError,
        ["train-labels-idx1-ubyte.gz: cannot be read as IDX", "fetch it again"],
    ),
    "idx_wrong_file": (
        ValueError,
        ["t10k-images-idx3-ubyte.gz: bad magic number", "Is this the right file?"],
    ),
    "checksum_mismatch": (
        ChecksumError,
        ["t10k-labels-idx1-ubyte.gz: SHA-256 is", "SHA256SUMS says", "fetch it again"],
    ),
    "labels_mismatch": (
        ValueError,
        ["train has 20 images but 15 labels", "not from the same release"],
    ),
    "image_unreadable": (
        ValueError,
        ["…/images/dog/1.jpg: unreadable image", "delete or replace it"],
    ),
    "image_no_classes": (
        ValueError,
        ["…/images: no class folders", "expected …/images/<class>/<image>.jpg"],
    ),
    "kernel_too_large": (
        ValueError,
        ["kernel_size is 29", "only 28 wide", "use a smaller kernel_size"],
    ),
    "zero_filters": (ValueError, ["filters_conv1 must be a whole number >= 1, got 0"]),
    "negative_stride": (ValueError, ["strides must be a whole number >= 1, got -2"]),
    "wrong_input_shape": (
        ValueError,
        ["shape (32, 32, 3)", "expects (8, 8, 1)", "input_shape=(32, 32, 3)"],
    ),
    "unknown_dataset": (ValueError, ["'mnsit'", "'fashion_mnist', 'mnist'"]),
    "unknown_optimizer": (ValueError, ["'adamw'", "['adam', 'rmsprop', 'sgd']"]),
    "batch_too_large": (
        ValueError,
        ["batch_size 64 is larger than the 40 training examples", "at most"],
    ),
    "loss_diverges": (
        TrainingDivergedError,
        [
            "by iteration 2",
            "last good checkpoint (iteration 1) is kept in …/checkpoints/run",
            "lower the learning rate (it is 1e+20)",
        ],
    ),
    "checkpoint_left_over": (
        CheckpointError,
        ["holds the checkpoint of an interrupted run", "pass --resume", "delete"],
    ),
    "checkpoint_other_settings": (
        CheckpointError,
        ["other settings (batch_size: 50 -> 64)", "resume with the same settings"],
    ),
    "results_dir_is_file": (
        OSError,
        ["cannot write …/notes.txt/c1/run.json", "--results-dir"],
    ),
    "option_results_dir_is_file": (
        UsageError,
        ["train_mnist_deep.py: error: argument --results-dir", "it is a file"],
    ),
    "option_not_positive": (
        UsageError,
        ["argument --iterations: must be a whole number >= 1, got '0'"],
    ),
    "option_not_a_choice": (
        UsageError,
        ["argument --padding: invalid choice: 'full'", "'valid', 'same'"],
    ),
}


class ErrorCatalogueTest(tf.test.TestCase, parameterized.TestCase):
    def test_every_case_is_tested_and_there_are_at_least_ten(self):
        self.assertCountEqual([case.name for case in CASES], EXPECTED)
        self.assertGreaterEqual(len(EXPECTED), 10)

    @parameterized.named_parameters((name, name) for name in EXPECTED)
    def test_case_fails_clearly_and_writes_nothing(self, name):
        case = next(case for case in CASES if case.name == name)
        outcome = run_case(case)
        error_type, phrases = EXPECTED[name]
        self.assertIsInstance(outcome.error, error_type)
        for phrase in phrases:
            self.assertIn(phrase, outcome.message)
        self.assertNotIn(str(outcome.folder), outcome.message)
        if case.keeps is None:
            self.assertEqual(outcome.changed, [])
        else:  # only the last good checkpoint, which is kept
            self.assertEqual(outcome.changed, [f"{case.keeps}/run/checkpoint.npz"])

    def test_the_site_table_lists_the_same_cases(self):
        path = REPO / "docs" / "results" / "errors" / "catalogue.json"
        if not path.exists():
            self.skipTest(f"{path} not written yet (python scripts/error_catalogue.py)")
        stored = json.loads(path.read_text())
        self.assertEqual(list(stored["cases"]), [c.name for c in CASES])
        known = {**vars(builtins), **{t.__name__: t for t, _ in EXPECTED.values()}}
        for name, entry in stored["cases"].items():
            error_type = EXPECTED[name][0]
            if error_type is UsageError:
                self.assertEqual(entry["error"], "usage error (exit status 2)")
            else:
                self.assertTrue(issubclass(known[entry["error"]], error_type), name)
