"""``ScriptedProvider``: a provider whose behaviour is written into the request.

``extra`` drives it, so one instance serves many scenarios at once:

- ``polls``: states to report, one per poll (the last one repeats), e.g.
  ``["running", "running", "succeeded"]``; default ``["succeeded"]``
- ``poll_errors``: how many polls fail first with a retryable HTTP 503
- ``submit_error``: ``{"kind": "api" | "quota" | "job", "status": 429, "retryable": true,
  "times": 1, "retry_after": 0.01}`` makes the first ``times`` submits fail (a
  ``job`` error takes ``reason``, default ``safety``, and ``code``)
- ``fail_message``: the message of a ``failed`` poll; ``fail_reason`` (a FailureReason
  value, default ``model_failed``) and ``fail_code`` its reason and code
- ``usage``: the ``Usage`` fields a terminal poll reports (``{"gpu_seconds": 3.5}``)
- ``submit_delay``: seconds a submit takes (a slow provider API)
- ``answered``: the submit's answer holds the outcome (a synchronous API: ``Handle.answered``)

Every submit is counted in ``submissions`` (job id -> calls), which is what tests assert
"paid once" on.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any, ClassVar

from PIL import Image

from storyreel.errors import FailureReason, ProviderAPIError, ProviderJobError, QuotaError
from storyreel.media.images import image_to_png
from storyreel.providers.base import Provider
from storyreel.providers.types import Handle, JobState, RemoteArtifact, Status, Usage
from storyreel.vocabulary import GenerationRequest, Task


class ScriptedProvider(Provider):
    name = "scripted"
    tasks = frozenset(Task)
    max_references = 16

    submissions: ClassVar[Counter[str]] = Counter()
    _polls: ClassVar[Counter[str]] = Counter()
    _submit_failures: ClassVar[Counter[str]] = Counter()

    async def submit(
        self, req: GenerationRequest, *, job_id: str, webhook_url: str | None
    ) -> Handle:
        script: dict[str, Any] = dict(req.extra)
        error = script.get("submit_error")
        if error and self._submit_failures[job_id] < int(error.get("times", 1)):
            self._submit_failures[job_id] += 1
            raise _error(error)
        await asyncio.sleep(float(script.get("submit_delay", 0)))
        self.submissions[job_id] += 1
        path = self.scratch_path(f"scripted-{job_id}", ".png")
        colour = (req.seed or 0) % 256
        path.write_bytes(image_to_png(Image.new("RGB", (64, 64), (colour, 80, 160))))
        fields: dict[str, Any] = {
            "provider": self.name,
            "request_id": f"scripted-{job_id}",
            "data": {"script": script, "output": str(path)},
        }
        return Handle.answered(**fields) if script.get("answered") else Handle(**fields)

    async def poll(self, handle: Handle) -> Status:
        script = handle.data["script"]
        seen = self._polls[handle.request_id]
        self._polls[handle.request_id] += 1
        if seen < int(script.get("poll_errors", 0)):
            raise ProviderAPIError("simulated 503", status=503, retryable=True, provider=self.name)
        states = script.get("polls", ["succeeded"])
        state = JobState(states[min(seen - int(script.get("poll_errors", 0)), len(states) - 1)])
        usage = Usage.model_validate(script["usage"]) if "usage" in script else None
        if state is JobState.FAILED:
            return Status(
                state=state,
                message=script.get("fail_message", "scripted failure"),
                error_reason=FailureReason(script.get("fail_reason", "model_failed")),
                error_code=script.get("fail_code", "scripted"),
                usage=usage,
            )
        return Status(state=state, usage=usage if state.terminal else None)

    async def result(self, handle: Handle) -> list[RemoteArtifact]:
        return [RemoteArtifact(mime="image/png", path=handle.data["output"])]

    @classmethod
    def reset(cls) -> None:
        cls.submissions.clear()
        cls._polls.clear()
        cls._submit_failures.clear()


def _error(spec: dict[str, Any]) -> Exception:
    kind = spec.get("kind", "api")
    if kind == "job":
        reason = FailureReason(spec.get("reason", "safety"))
        return ProviderJobError(
            f"scripted: the model refused ({reason})", reason=reason, code=spec.get("code")
        )
    if kind == "quota":
        return QuotaError("scripted: out of credits", status=402)
    return ProviderAPIError(
        f"scripted: HTTP {spec.get('status', 503)}",
        status=spec.get("status", 503),
        retryable=bool(spec.get("retryable", True)),
        retry_after=spec.get("retry_after"),
    )
