"""The one source of the version (pyproject.toml reads it too)."""

__version__ = "1.0.0.dev0"
