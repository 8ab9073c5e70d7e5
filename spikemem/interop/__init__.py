"""Readers of other toolchains' formats (NIR)."""
