"""Feature embeddings: t-SNE, and numbers that say how well classes are separated.

A t-SNE picture alone cannot be compared across epochs or seeds, so every
embedding comes with two numbers, computed both in the original feature
space and in the 2-D embedding:

- the leave-one-out k-nearest-neighbour accuracy: each point is classified by
  the majority label of its k nearest other points (Euclidean); 1.0 means
  every point sits among its own class, 1/classes is chance;
- the silhouette: the mean over points of (b - a) / max(a, b), with a the mean
  distance to the point's own class and b the mean distance to the nearest
  other class; from -1 (mixed up) through 0 (overlapping) to 1 (tight,
  far-apart clusters).
"""

from __future__ import annotations

import numpy as np
from sklearn.manifold import TSNE
from sklearn.metrics import silhouette_score


def tsne_embedding(
    features: np.ndarray, seed: int = 0, perplexity: float = 30.0
) -> np.ndarray:
    """A 2-D t-SNE of `features` (n, d), PCA-initialised and seeded.

    Args:
        features: one row per example.
        seed: the t-SNE seed. Defaults to 0.
        perplexity: the effective number of neighbours; lowered to (n - 1) / 3
            for small n, as t-SNE requires perplexity < n. Defaults to 30.

    Returns:
        The (n, 2) embedding.
    """
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or len(features) < 4:
        raise ValueError(f"features must be (n >= 4, d), got shape {features.shape}.")
    perplexity = min(perplexity, (len(features) - 1) / 3)
    tsne = TSNE(
        n_components=2,
        perplexity=perplexity,
        init="pca",
        learning_rate="auto",
        random_state=seed,
    )
    return tsne.fit_transform(features)


def knn_accuracy(points: np.ndarray, labels: np.ndarray, k: int = 5) -> float:
    """Leave-one-out k-nearest-neighbour accuracy (majority vote; ties go to the
    smallest label, as in scikit-learn).

    Args:
        points: (n, d) coordinates.
        labels: (n,) integer labels >= 0.
        k: neighbours that vote, 1 <= k < n. Defaults to 5.
    """
    points, labels = (
        np.asarray(points, dtype=np.float64),
        np.asarray(labels).reshape(-1),
    )
    if not 1 <= k < len(points):
        raise ValueError(f"k must be in [1, {len(points) - 1}], got {k}.")
    squared = (points**2).sum(axis=1)
    distances = squared[:, None] + squared[None, :] - 2 * points @ points.T
    np.fill_diagonal(distances, np.inf)  # leave the point itself out
    neighbours = np.argsort(distances, axis=1, kind="stable")[:, :k]
    votes = np.zeros((len(points), labels.max() + 1), dtype=int)
    np.add.at(votes, (np.arange(len(points))[:, None], labels[neighbours]), 1)
    return float((votes.argmax(axis=1) == labels).mean())


def separation(points: np.ndarray, labels: np.ndarray, k: int = 5) -> dict:
    """`{"knn_accuracy", "silhouette"}` of labelled points (module docstring)."""
    return {
        "knn_accuracy": knn_accuracy(points, labels, k),
        "silhouette": float(silhouette_score(points, labels, metric="euclidean")),
    }


def embed_and_score(
    features: np.ndarray, labels: np.ndarray, seed: int = 0, k: int = 5
) -> dict:
    """t-SNE of `features` plus separation numbers in both spaces.

    Returns:
        {"embedding": (n, 2) array, "features": separation(features),
        "tsne": separation(embedding)}.
    """
    embedding = tsne_embedding(features, seed)
    return {
        "embedding": embedding,
        "features": separation(features, labels, k),
        "tsne": separation(embedding, labels, k),
    }
