"""Test configuration: hypothesis runs derandomized, so every run tests the same cases."""
from hypothesis import settings

settings.register_profile("course", derandomize=True, deadline=None, max_examples=60)
settings.load_profile("course")
