"""Keras model builders: pure functions returning uncompiled models with logit outputs."""

from tfcnn.models.mnist import build_deep, build_reduced_deep, build_shallow

__all__ = ["build_deep", "build_reduced_deep", "build_shallow"]
