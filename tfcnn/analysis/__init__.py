"""Analysis tools: parameter counting, linearised networks, convolution numerics."""

from tfcnn.analysis.linearise import linearise

__all__ = ["linearise"]
