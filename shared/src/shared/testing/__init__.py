"""Test helpers importable from every test suite (pytest's importlib mode cannot import tests/*)."""
