"""The REST API (``storyreel serve``): storyreel's own resources under ``/api/v1``, seed
001's and seed 004's services at their exact paths, and an OpenAI-compatible image
gateway under ``/v1``. ``create_app`` builds it; routes live in ``routes/``."""

from .app import create_app

__all__ = ["create_app"]
