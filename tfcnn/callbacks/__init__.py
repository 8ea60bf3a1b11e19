"""Keras callbacks: metrics recorded every N training iterations, and per-epoch progress."""

from tfcnn.callbacks.epoch_progress import EpochProgress
from tfcnn.callbacks.iteration_logger import IterationLogger, classification_metrics

__all__ = ["EpochProgress", "IterationLogger", "classification_metrics"]
