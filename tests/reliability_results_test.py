"""A results file holds what is needed to rerun it, and is never half-written."""

import dataclasses
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from unittest import mock

import keras
import numpy as np
import tensorflow as tf

import tfcnn
from tfcnn import results


@dataclasses.dataclass
class _Config:
    iterations: int = 1000
    padding: str = "valid"
    filters: tuple = (32, 64)


class RerunRecordTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        self.root = Path(self.get_temp_dir()) / self.id().split(".")[-1]

    def test_meta_records_command_config_seed_versions_commit(self):
        argv = ["/somewhere/train_mnist_deep.py", "--seed", "3", "--quick"]
        with mock.patch.object(sys, "argv", argv):
            path = results.write_result(
                "c1", "run", {"accuracy": 0.5}, config=_Config(), seed=3, root=self.root
            )
        meta = json.loads(path.read_text())["meta"]
        self.assertEqual(meta["command"], "train_mnist_deep.py --seed 3 --quick")
        self.assertEqual(
            meta["config"],
            {"iterations": 1000, "padding": "valid", "filters": [32, 64]},
        )
        self.assertEqual(meta["seed"], 3)
        self.assertEqual(
            {
                k: meta["versions"][k]
                for k in ("python", "tensorflow", "keras", "numpy")
            },
            {
                "python": platform.python_version(),
                "tensorflow": tf.__version__,
                "keras": keras.__version__,
                "numpy": np.__version__,
            },
        )
        self.assertEqual(meta["versions"]["tfcnn"], tfcnn.__version__)
        self.assertEqual(meta["machine"]["cores"], os.cpu_count())
        try:
            head = subprocess.run(
                ["git", "-C", str(results.REPO_ROOT), "rev-parse", "HEAD"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            self.skipTest("not a git checkout")
        # The commit, marked "+dirty" when tfcnn/ or scripts/ had local changes.
        self.assertIn(meta["git_commit"], {head, head + "+dirty"})

    def test_killed_json_write_leaves_the_old_file(self):
        path = results.write_result("c1", "run", {"accuracy": 0.5}, root=self.root)
        real_write_text = Path.write_text

        def half_then_killed(self, text, *args, **kwargs):
            real_write_text(self, text[: len(text) // 2])
            raise KeyboardInterrupt

        with mock.patch.object(Path, "write_text", half_then_killed):
            with self.assertRaises(KeyboardInterrupt):
                results.write_result("c1", "run", {"accuracy": 0.9}, root=self.root)
        self.assertEqual(json.loads(path.read_text())["accuracy"], 0.5)
        self.assertEqual([p.name for p in path.parent.iterdir()], ["run.json"])

    def test_unwritable_folder_names_the_fix_and_keeps_the_error_type(self):
        denied = PermissionError(13, "Permission denied")
        with mock.patch.object(tempfile, "mkstemp", side_effect=denied):
            with self.assertRaisesRegex(
                PermissionError,
                r"cannot write .*run\.json: Permission denied\. Fix: .*--results-dir",
            ):
                results.write_result("c1", "run", {"accuracy": 0.5}, root=self.root)
        self.assertEqual(list((self.root / "c1").iterdir()), [])
