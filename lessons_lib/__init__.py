"""Gradient-Based Learning: the course's helper library (see README.md)."""
__version__ = "0.1.0"
