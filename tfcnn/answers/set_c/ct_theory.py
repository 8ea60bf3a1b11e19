"""Set C theory, CT3 and CT4: a filter's Jacobian checked by GradientTape, counts.

Writes `docs/results/ct/checks.json` (nothing is trained), from
`scripts/report_set_c.py`.
"""

from __future__ import annotations

import numpy as np

from tfcnn.analysis.conv import correlate1d, filter_jacobian_1d
from tfcnn.results import write_result

SIGNAL = (3, 1, 4, 1, 5, 9, 2)
KERNEL_SIZE = 3
FILTER = (0.5, -1.0, 2.0)  # where GradientTape takes the Jacobian (it is linear)
UPSTREAM = (1.0, -2.0, 0.5, 0.0, 1.0)
IMAGES, CLASSES = 10_000, 1_000


def tape_jacobian(signal, f) -> np.ndarray:
    """d(valid correlation of `signal` with `f`)/df by `tf.GradientTape` (`tf.nn.conv1d`).

    Args:
        signal: the 1-D input.
        f: the filter.
    """
    import tensorflow as tf

    signal = np.asarray(signal, dtype=np.float64)
    f = tf.Variable(np.asarray(f, dtype=np.float64))
    with tf.GradientTape() as tape:
        out = tf.nn.conv1d(
            tf.reshape(signal, (1, -1, 1)), tf.reshape(f, (-1, 1, 1)), 1, "VALID"
        )[0, :, 0]
    return tape.jacobian(out, f).numpy()


def theory_checks() -> dict:
    """The numbers of CT3 and CT4.

    The Jacobian of the filter's outputs with respect to its weights (as a
    table, and its largest difference from `tape_jacobian`), `J^T g` for an
    upstream gradient `g` beside the correlation of the signal with `g`, the
    parameters of a 5x5 conv layer with 96 filters on 32x32x3 and of a
    4,096-unit dense layer, and the constraints of 10,000 images of 1,000
    classes.
    """
    import keras

    signal, upstream = np.array(SIGNAL, dtype=np.float64), np.array(UPSTREAM)
    jacobian = filter_jacobian_1d(signal, KERNEL_SIZE)
    conv = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(96, 5)])
    dense = keras.Sequential(
        [keras.Input((4 * 4 * 256,)), keras.layers.Dense(4 * 4 * 256)]
    )
    return {
        "signal": [int(v) for v in signal],
        "kernel_size": KERNEL_SIZE,
        "jacobian": {
            "columns": ["output sample n"]
            + [f"∂y[n]/∂f[{i}]" for i in range(KERNEL_SIZE)],
            "rows": [[n, *map(int, row)] for n, row in enumerate(jacobian)],
        },
        "jacobian_max_abs_error_vs_tape": float(
            np.abs(jacobian - tape_jacobian(signal, FILTER)).max()
        ),
        "upstream": upstream.tolist(),
        "jt_g": (jacobian.T @ upstream).tolist(),
        "correlation_signal_upstream": correlate1d(signal, upstream).tolist(),
        "conv96_params": conv.count_params(),
        "dense4096_params": dense.count_params(),
        "constraints": IMAGES * CLASSES,
        "independent_constraints": IMAGES * (CLASSES - 1),
    }


def report_theory(root=None) -> None:
    """CT3 and CT4: writes `ct/checks.json` (`theory_checks`).

    Args:
        root: the results folder. Defaults to `results_dir()`.
    """
    write_result("ct", "checks", theory_checks(), root=root)
