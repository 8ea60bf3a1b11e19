"""Pictures of what a network computes: activation-map grids, 2-D feature embeddings."""

from __future__ import annotations

import numpy as np

from tfcnn.plots.style import new_figure, use_style


def activation_grid(
    images: np.ndarray,
    maps: dict[str, dict[str, np.ndarray]],
    titles: list[str] | None = None,
    cell: float = 1.1,
):
    """A grid of activation maps: one row per (image, snapshot), one column per channel.

    Each row starts with the input image, then every channel of every layer in
    `maps[snapshot]`, in order. Within a row, the channels of one layer share
    one grey scale from 0 to that layer's largest activation in the row (its
    value is printed in the first channel's corner), so channels can be compared
    with each other; a black map is a channel that is zero (silent) for that image.

    Args:
        images: (n, H, W) or (n, H, W, 1) inputs.
        maps: snapshot label (e.g. "epoch 1") -> layer name -> (n, h, w, channels).
        titles: one label per image (e.g. its true class). Defaults to "image i".
        cell: inches per map. Defaults to 1.1.

    Returns:
        The matplotlib figure.
    """
    images = np.asarray(images)
    images = images[..., 0] if images.ndim == 4 else images
    titles = titles or [f"image {i}" for i in range(len(images))]
    if len(titles) != len(images):
        raise ValueError(f"titles has {len(titles)} labels for {len(images)} images.")
    snapshots = list(maps)
    layer_names = list(maps[snapshots[0]])
    channels = [maps[snapshots[0]][name].shape[-1] for name in layer_names]
    ncols, nrows = 1 + sum(channels), len(images) * len(snapshots)
    use_style()
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        nrows, ncols, figsize=(cell * ncols, cell * 1.1 * nrows), squeeze=False
    )
    for i, image in enumerate(images):
        for j, snapshot in enumerate(snapshots):
            row = axes[i * len(snapshots) + j]
            row[0].imshow(image, cmap="gray_r")
            row[0].set_ylabel(f"{titles[i]}\n{snapshot}", fontsize=8)
            column = 1
            for name, count in zip(layer_names, channels, strict=True):
                activation = maps[snapshot][name][i]
                top = float(activation.max()) or 1.0
                for c in range(count):
                    row[column].imshow(
                        activation[..., c], cmap="gray", vmin=0, vmax=top
                    )
                    if i == 0 and j == 0:
                        row[column].set_title(f"{name} ch{c}", fontsize=7)
                    if c == 0:
                        row[column].text(
                            0.03,
                            0.97,
                            f"max {top:.2g}",
                            color="yellow",
                            fontsize=6,
                            va="top",
                            transform=row[column].transAxes,
                        )
                    column += 1
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    fig.tight_layout(pad=0.3)
    return fig


def plot_embedding(ax, points: np.ndarray, labels: np.ndarray, title: str = "") -> None:
    """A 2-D embedding as a scatter coloured by class, each point drawn as its label."""
    labels = np.asarray(labels).reshape(-1)
    classes = np.unique(labels)
    import matplotlib.pyplot as plt

    cmap = plt.get_cmap("tab10")
    for index, label in enumerate(classes):
        chosen = labels == label
        ax.scatter(
            points[chosen, 0],
            points[chosen, 1],
            s=60,
            color=cmap(index % 10),
            alpha=0.35,
            label=str(label),
        )
        for x, y in points[chosen]:
            ax.text(
                x,
                y,
                str(label),
                fontsize=7,
                ha="center",
                va="center",
                color=cmap(index % 10),
            )
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])


def embedding_figure(panels: list[tuple[np.ndarray, np.ndarray, str]], ncols: int = 3):
    """One `plot_embedding` panel per (points, labels, title), with one class legend."""
    nrows = -(-len(panels) // ncols)
    fig, axes = new_figure(ncols=ncols, nrows=nrows, width=4.2, height=4.0)
    axes = np.atleast_1d(axes)
    for ax, (points, labels, title) in zip(axes, panels, strict=False):
        plot_embedding(ax, points, labels, title)
    for ax in axes[len(panels) :]:
        ax.axis("off")
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="center right", title="digit", fontsize=8)
    fig.tight_layout(rect=(0, 0, 0.93, 1))
    return fig
