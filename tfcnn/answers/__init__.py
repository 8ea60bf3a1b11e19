"""Answers to the four exercise sets: the only code that knows a question id, a sheet's setting or a results path."""
