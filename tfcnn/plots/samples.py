"""What a classifier gets right and wrong: example grids and confusion matrices."""

from __future__ import annotations

import numpy as np

from tfcnn.plots.style import new_figure


def confusion_matrix(y_true, y_pred, num_classes: int) -> np.ndarray:
    """Counts `C[t, p]` of examples of true class t predicted as p.

    Args:
        y_true: integer labels, shape (n,).
        y_pred: predicted integer labels, shape (n,).
        num_classes: the number of classes (the matrix is square of this size).
    """
    y_true = np.asarray(y_true).reshape(-1).astype(int)
    y_pred = np.asarray(y_pred).reshape(-1).astype(int)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true {y_true.shape} and y_pred {y_pred.shape} must have the same length."
        )
    for name, labels in (("y_true", y_true), ("y_pred", y_pred)):
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(
                f"{name} holds labels outside [0, {num_classes}); check num_classes."
            )
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


def per_class_recall(matrix: np.ndarray) -> np.ndarray:
    """The share of each true class that is predicted correctly: `C[t, t] / sum_p C[t, p]`."""
    matrix = np.asarray(matrix, dtype=np.float64)
    return np.diag(matrix) / np.maximum(matrix.sum(axis=1), 1)


def pick_examples(y_true, y_pred, kind: str, count: int, seed: int = 0) -> np.ndarray:
    """Indices of `count` random correctly ("success") or wrongly ("failure") classified examples.

    Args:
        y_true: integer labels.
        y_pred: predicted labels.
        kind: "success" or "failure".
        count: how many (fewer if fewer exist).
        seed: the draw. Defaults to 0.
    """
    if kind not in ("success", "failure"):
        raise ValueError(f"kind must be 'success' or 'failure', got {kind!r}.")
    correct = np.asarray(y_true).reshape(-1) == np.asarray(y_pred).reshape(-1)
    pool = np.flatnonzero(correct if kind == "success" else ~correct)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(pool, size=min(count, len(pool)), replace=False))


def plot_examples(
    images, y_true, probabilities, indices, class_names, title: str, ncols: int = 6
):
    """A grid of images, each titled with its true class, predicted class and confidence.

    Args:
        images: (n, h, w) or (n, h, w, 1) images.
        y_true: integer labels, shape (n,).
        probabilities: predicted class probabilities, shape (n, classes).
        indices: which examples to show.
        class_names: a name per class.
        title: the figure title.
        ncols: images per row. Defaults to 6.

    Returns:
        The matplotlib figure.
    """
    indices = np.asarray(indices)
    nrows = max(1, -(-len(indices) // ncols))
    fig, axes = new_figure(ncols=ncols, nrows=nrows, width=1.75, height=2.3)
    axes = np.atleast_1d(axes)
    for ax in axes:
        ax.axis("off")
    for ax, i in zip(axes, indices):
        predicted = int(np.argmax(probabilities[i]))
        ok = predicted == int(y_true[i])
        ax.imshow(
            np.squeeze(images[i]),
            cmap="gray_r",
            vmin=0,
            vmax=1 if images.dtype != np.uint8 else 255,
        )
        ax.set_title(
            f"true: {class_names[int(y_true[i])]}\npred: {class_names[predicted]}"
            f"\n{probabilities[i, predicted]:.0%}",
            fontsize=7.5,
            color="#109618" if ok else "#dc3912",
        )
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_confusion(ax, matrix: np.ndarray, class_names, title: str = "") -> None:
    """A row-normalised confusion matrix (each true class sums to 1) with the shares written in.

    Args:
        ax: the matplotlib axes.
        matrix: counts or shares, (classes, classes), rows = true class.
        class_names: a name per class.
        title: the axes title. Defaults to "".
    """
    shares = np.asarray(matrix, dtype=np.float64)
    shares = shares / np.maximum(shares.sum(axis=1, keepdims=True), 1e-12)
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    ax.grid(False)
    ticks = np.arange(len(class_names))
    ax.set_xticks(ticks, class_names, rotation=60, ha="right", fontsize=7.5)
    ax.set_yticks(ticks, class_names, fontsize=7.5)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    for t in ticks:
        for p in ticks:
            if shares[t, p] >= 0.005:
                ax.text(
                    p,
                    t,
                    f"{100 * shares[t, p]:.0f}",
                    ha="center",
                    va="center",
                    fontsize=6.5,
                    color="white" if shares[t, p] > 0.5 else "black",
                )
    if title:
        ax.set_title(title)
