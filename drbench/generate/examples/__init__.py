"""Worked examples of user randomizers (see README_SECTION.md)."""
