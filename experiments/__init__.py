"""Experiment configs shipped with spikemem (installed as `spikemem.experiments`).

The continual-learning configs (`permuted_digits.toml`, `split_digits.toml`) are package
data, so `spikemem continual permuted_digits` works from an installed wheel too. This folder
holds configs only: the source-checkout scripts are in scripts/ (not installed), the models'
code and data in models/.
"""
