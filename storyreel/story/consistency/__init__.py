"""Consistent characters: sheets, per-model reference strategies, identity scores."""
