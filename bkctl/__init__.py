"""bkctl: backup as infrastructure."""

__version__ = "0.1.0"
