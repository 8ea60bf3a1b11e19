"""Keras callbacks: metrics recorded every N training iterations, and per-epoch progress."""

from tfcnn.training.callbacks.epoch_progress import EpochProgress
from tfcnn.training.callbacks.iteration_logger import (
    IterationLogger,
    classification_metrics,
)

__all__ = ["EpochProgress", "IterationLogger", "classification_metrics"]
