"""Experiment configs shipped with spikemem (installed as `spikemem.experiments`).

The continual-learning configs (`permuted_digits.toml`, `split_digits.toml`) are package
data, so `spikemem continual permuted_digits` works from an installed wheel too; the
scripts in the subfolders (`ca3/`, `lsm/`) are for a source checkout and are not installed.
"""
