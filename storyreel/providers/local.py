"""Base for providers that render on this machine (sketch, motion, later diffusers).

They render inside ``submit`` (the "call and keep the result" shape of a synchronous API)
into the scratch dir, and report ``running`` until ``ready_at``: the ``latency`` setting
makes them behave like a slow remote service, which demos and crash tests need.
Request ids derive from the job id, so a re-submit after a crash overwrites the same files
instead of producing a second set.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import ClassVar

from storyreel.errors import FailureReason, ProviderJobError
from storyreel.providers.base import Provider
from storyreel.providers.types import Handle, JobState, RemoteArtifact, Status
from storyreel.vocabulary import GenerationRequest


class LocalProvider(Provider):
    output_mime: ClassVar[str]

    def local_handle(self, job_id: str, outputs: list[Path]) -> Handle:
        now = time.time()
        return Handle(
            provider=self.name,
            request_id=f"{self.name}-{job_id}",
            data={
                "outputs": [str(path) for path in outputs],
            },
            submitted_at=now,
            ready_at=now + self.ctx.settings.latency,
        )

    async def poll(self, handle: Handle) -> Status:
        # A handle stored before ``Handle.ready_at`` existed kept it in its data.
        ready_at = handle.ready_at if handle.ready_at is not None else handle.data["ready_at"]
        remaining = ready_at - time.time()
        if remaining > 0:
            latency = max(self.ctx.settings.latency, 1e-9)
            return Status(state=JobState.RUNNING, progress=max(0.0, 1 - remaining / latency))
        missing = [p for p in handle.data["outputs"] if not Path(p).exists()]
        if missing:
            return Status(
                state=JobState.FAILED,
                message=f"{self.name} output vanished from scratch: {missing[0]}",
                error_reason=FailureReason.UNKNOWN,
                error_code="output_missing",
            )
        return Status(state=JobState.SUCCEEDED, progress=1.0)

    async def result(self, handle: Handle) -> list[RemoteArtifact]:
        paths = [Path(p) for p in handle.data["outputs"]]
        if not all(p.exists() for p in paths):
            raise ProviderJobError(
                f"{self.name} output is missing (output_missing)",
                provider=self.name,
                reason=FailureReason.UNKNOWN,
                code="output_missing",
            )
        return [RemoteArtifact(mime=self.output_mime, path=p) for p in paths]

    def can_find_submitted(self, req: GenerationRequest) -> bool:
        """A local render is free and its files are named by job id, so a lost submit is
        reconciled by rendering again: never "possibly billed twice"."""
        return True

    async def find_submitted(
        self, req: GenerationRequest, *, job_id: str, since: float
    ) -> Handle | None:
        """None: resubmitting overwrites the same files at no cost."""
        return None
