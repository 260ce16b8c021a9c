"""The web UI: server-rendered pages (Jinja2 + vendored htmx, SSE for live updates) under
``/ui``, served by the API's process and calling the same services as the API and the CLI."""

from .app import mount_ui

__all__ = ["mount_ui"]
