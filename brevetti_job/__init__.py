"""The job runtime for the Brevetti AI platform (in progress)."""

__version__ = "0.1.0"

__all__ = ["__version__"]
