"""Keras callbacks: metrics recorded every N training iterations (also as TensorBoard events), epoch clocks and progress."""

from tfcnn.training.callbacks.epoch_progress import EpochClock, EpochProgress
from tfcnn.training.callbacks.iteration_logger import IterationLogger

__all__ = ["EpochClock", "EpochProgress", "IterationLogger"]
