"""Keras callbacks: metrics recorded every N training iterations."""

from tfcnn.callbacks.iteration_logger import IterationLogger, classification_metrics

__all__ = ["IterationLogger", "classification_metrics"]
