"""Set D: a CNN from scratch in NumPy (D1-D6)."""
