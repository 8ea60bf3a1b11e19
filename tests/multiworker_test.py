"""`--distribute multiworker`: a cluster of two processes trains like one process.

Two workers on 127.0.0.1, each with its own `TF_CONFIG` (as two machines would
run the same command), train the set D network for 20 SGD steps at a global
batch of 32 under `MultiWorkerMirroredStrategy`; meanwhile the test's own
process trains alone on the same batches. Both workers must end with identical weights, equal to
the lone process's within float tolerance. The processes run at once and are
stopped however the test ends (`tfcnn.bench.multiworker.run_workers`).
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import subprocess
import sys

import numpy as np
import tensorflow as tf

from tfcnn import cli
from tfcnn.bench.multiworker import free_ports, run_workers, tf_configs, train_worker
from tfcnn.bench.networks import get_network
from tfcnn.results import REPO_ROOT, set_seed
from tfcnn.training.devices import CHOICES, TF_CONFIG_EXAMPLE, multiworker_cluster

SETTINGS = {
    "network": "set_d",
    "batch_size": 32,
    "optimizer": "sgd",
    "learning_rate": 0.05,
    "warmup_steps": 0,
    "steps": 20,
    "report_weights": True,
}
# A bound on the cluster, far above its time: about 10 s on a quiet machine, most
# of it starting TensorFlow, which slows several-fold when other jobs load the cores.
TIMEOUT_SECONDS = 60
DEEP_SCRIPT = REPO_ROOT / "scripts" / "train_mnist_deep.py"


def max_difference(a, b) -> float:
    return max(float(np.abs(np.subtract(u, v)).max()) for u, v in zip(a, b))


class TwoWorkersTest(tf.test.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            cluster = pool.submit(run_workers, SETTINGS, 2, TIMEOUT_SECONDS)
            # Meanwhile, the same training alone, in this process.
            cls.alone = train_worker(SETTINGS)
            cls.initial = untrained_weights()
            cls.workers = cluster.result()

    def test_the_workers_form_one_cluster(self):
        self.assertEqual([w["workers"] for w in self.workers], [2, 2])
        self.assertEqual([w["replicas"] for w in self.workers], [2, 2])
        self.assertEqual(self.alone["replicas"], 1)

    def test_both_workers_end_with_the_weights_of_one_process(self):
        first, second = (w["weights"] for w in self.workers)
        self.assertEqual(max_difference(first, second), 0.0)
        # Training moved the weights far more than the tolerance...
        self.assertGreater(max_difference(first, self.initial), 1e-2)
        # ...and the cluster ends where the one process does.
        self.assertLess(max_difference(first, self.alone["weights"]), 1e-5)
        self.assertAllClose(self.workers[0]["loss"], self.alone["loss"], rtol=1e-5)


def untrained_weights():
    set_seed(0)
    return get_network(SETTINGS["network"]).build().get_weights()


class TfConfigTest(tf.test.TestCase):
    def test_cluster_of_free_ports(self):
        configs = [json.loads(c) for c in tf_configs(free_ports(2))]
        self.assertEqual([c["task"]["index"] for c in configs], [0, 1])
        self.assertLen(set(configs[0]["cluster"]["worker"]), 2)
        for config in configs:
            self.assertEqual(multiworker_cluster(json.dumps(config)), config)

    def test_missing_tf_config_names_the_fix(self):
        with self.assertRaisesRegex(ValueError, "needs TF_CONFIG: set TF_CONFIG"):
            multiworker_cluster("")

    def test_malformed_tf_config_names_the_fix(self):
        cases = {
            "{not json": "not valid JSON",
            '{"task": {"type": "worker", "index": 0}}': "no cluster.worker list",
            '{"cluster": {"worker": ["h:1"]}, "task": {"type": "worker", "index": 1}}': "0 <= i < 1",
            '{"cluster": {"worker": ["h:1"]}, "task": {"type": "chief", "index": 0}}': "task must be",
            "[1, 2]": "no cluster.worker list",
        }  # fmt: skip
        for text, message in cases.items():
            with self.subTest(text=text):
                with self.assertRaisesRegex(ValueError, message) as caught:
                    multiworker_cluster(text)
                self.assertIn(TF_CONFIG_EXAMPLE, str(caught.exception))
                self.assertNotIn("\n", str(caught.exception))

    def test_a_script_without_tf_config_stops_with_one_line(self):
        env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
        done = subprocess.run(
            [sys.executable, str(DEEP_SCRIPT), "--quick", "--distribute", "multiworker",
             "--results-dir", self.get_temp_dir()],
            capture_output=True, text=True, env=env, timeout=TIMEOUT_SECONDS,
        )  # fmt: skip
        self.assertEqual(done.returncode, 1)
        lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
        self.assertLen(lines, 1)
        self.assertIn("needs TF_CONFIG: set TF_CONFIG on every worker", lines[0])

    def test_the_option_offers_every_strategy(self):
        self.assertEqual(cli.DISTRIBUTE_CHOICES, CHOICES)


if __name__ == "__main__":
    tf.test.main()
