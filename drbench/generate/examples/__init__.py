"""Worked examples of user randomizers (see the README's "Randomizers" section)."""
