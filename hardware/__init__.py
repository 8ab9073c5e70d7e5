"""Chip descriptions (one TOML file per chip), installed as spikemem.hardware."""
