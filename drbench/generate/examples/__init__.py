"""Worked examples of user randomizers (see docs/generation.md)."""
