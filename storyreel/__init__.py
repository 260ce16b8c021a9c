"""storyreel: story-driven storyboards and animated videos with consistent characters."""

__version__ = "0.1.0"

__all__ = ["__version__"]
