"""Set D, D1 and D3: the network's parameter table and the gradient checks.

D1: every layer's output shape and parameter count (with its formula), the
initialisation, and the Keras twin's count. D3: every hand-written gradient
against finite differences and `tf.GradientTape`, and one SGD step at the
sheet's η against Keras'. Writes d1/architecture and d3/gradcheck.
"""

from __future__ import annotations

from pathlib import Path

from tfcnn.answers.set_d.d3_d5_study import Config, sheet_learning_rate
from tfcnn.results import set_seed, write_result
from tfcnn.scratch import checks


def write_checks(cfg: Config, root: Path) -> None:
    """Measures and writes d1/architecture and d3/gradcheck (seed 0) under `root`."""
    measures = (
        ("d1", "architecture", checks.architecture),
        (
            "d3",
            "gradcheck",
            lambda: checks.gradient_checks(0, sheet_learning_rate("sgd")),
        ),
    )
    for result_id, name, measure in measures:
        set_seed(0)
        write_result(result_id, name, measure(), config=cfg, seed=0, root=root)
