"""Offline previz renderer and the ``sketch`` provider built on it."""
