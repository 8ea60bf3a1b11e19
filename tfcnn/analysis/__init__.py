"""Analysis tools: parameter counting, linearised networks, convolution numerics."""

from tfcnn.analysis.conv import convolve2d, correlate2d, output_size
from tfcnn.analysis.linearise import linearise
from tfcnn.analysis.params import count_parameters, parameter_table, total_parameters

__all__ = [
    "convolve2d",
    "correlate2d",
    "output_size",
    "count_parameters",
    "linearise",
    "parameter_table",
    "total_parameters",
]
