"""Argument checks shared by the builders: errors that name the bad argument."""

from __future__ import annotations


def check_positive(**values) -> None:
    """Raises ValueError for any argument that is not an integer >= 1."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {value!r}.")


def check_input_shape(input_shape) -> tuple[int, int, int]:
    """Returns `(h, w, c)` or raises ValueError naming `input_shape`."""
    shape = tuple(input_shape)
    if len(shape) != 3 or any(not isinstance(n, int) or n < 1 for n in shape):
        raise ValueError(
            f"input_shape must be (height, width, channels) of positive ints, got "
            f"{input_shape!r}; for 28x28 grey images use (28, 28, 1)."
        )
    return shape


def check_window(size: int, kernel: int, stride: int, padding: str, what: str) -> int:
    """Spatial size after a conv or pool window (floor((n - k)/s) + 1 with "valid"
    padding, ceil(n/s) with "same"), or ValueError when `kernel` exceeds the input."""
    if padding == "same":
        return -(-size // stride)
    if padding != "valid":
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}.")
    if kernel > size:
        raise ValueError(
            f"{what} is {kernel} but its input is only {size} wide at that point; "
            f"use a smaller {what}, padding='same', or less down-sampling before it."
        )
    return (size - kernel) // stride + 1
