"""The package version: written here once (``pyproject.toml`` reads it) and recorded in every manifest."""
from __future__ import annotations

__version__ = "0.1.0"
