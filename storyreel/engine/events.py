"""One structured event per job transition, the trail a person reads to see what a job
did and why: created, submitted (with its attempt), adopted after a lost answer, polled,
webhook, succeeded or failed (with its reason), failover, canceled, and its cost.

Events go through structlog to the log file (JSON lines, ``storyreel.cli.logs``) and, with
``--verbose``, to the terminal. They carry ids, names, states and amounts only: a request's
body, a URL with a token in it, or a key never goes into an event.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import structlog

log = structlog.get_logger("storyreel.jobs")


def route_to_stdlib_logging() -> None:
    """Where events go when nobody configured structlog (storyreel embedded in another
    program, a benchmark): into stdlib ``logging`` as ordinary records, so the host's
    logging decides, instead of structlog's default of printing to stdout. The CLI
    configures its own (``cli.logs``) first, and this leaves that alone."""
    if structlog.is_configured():
        return
    structlog.configure(
        processors=[structlog.stdlib.filter_by_level, structlog.stdlib.render_to_log_kwargs],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def job_event(event: str, job_id: str, *, provider: str, model: str = "", **fields: Any) -> None:
    """Log ``event`` for a job; Decimal amounts become strings (exact, JSON-safe)."""
    clean = {k: str(v) if isinstance(v, Decimal) else v for k, v in fields.items()}
    if model:
        clean["model"] = model
    log.info(event, job_id=job_id, provider=provider, **clean)


__all__ = ["job_event", "route_to_stdlib_logging"]
