"""Taawun: a platform that the workers who use it own and run."""

__version__ = "0.1.0"
