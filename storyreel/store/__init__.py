"""Persistence used by every layer: the app database and the content-addressed assets."""
