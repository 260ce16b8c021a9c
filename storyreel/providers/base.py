"""The provider contract: four async methods and a few declared capabilities.

A provider is one module (``providers/fal.py``, ``providers/sketch/``) holding a subclass of
``Provider``. The engine only ever calls ``submit`` -> ``poll`` -> ``result`` (-> ``cancel``),
so a synchronous API is implemented as "call in submit and keep the answer" and a local
renderer the same way: the engine treats every provider alike.

Policy shared by every provider lives here (capability checks before any network call,
where scratch output goes); everything provider-specific stays in the provider's module.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from storyreel.config import LocalSettings, ProviderSettings
from storyreel.errors import InputError, ProviderError
from storyreel.providers.types import Handle, RemoteArtifact, Status, WebhookEvent
from storyreel.store.assets import AssetStore
from storyreel.store.uploads import UploadCache
from storyreel.vocabulary import GenerationRequest, Task


@dataclass(frozen=True)
class ProviderContext:
    """What a provider may use: its settings, the asset store (to read references) and a
    scratch dir inside the data dir for outputs it renders itself. ``local`` holds the
    settings of renderers on this machine's accelerator (device, models, weights policy)."""

    settings: ProviderSettings
    assets: AssetStore
    scratch_dir: Path
    uploads: UploadCache | None = None
    local: LocalSettings = field(default_factory=LocalSettings)


class Provider(ABC):
    """Base class of every provider. Subclasses set the class attributes and implement
    ``submit``, ``poll`` and ``result``; ``cancel`` defaults to "nothing to cancel"."""

    name: ClassVar[str]
    tasks: ClassVar[frozenset[Task]]
    supports_webhooks: ClassVar[bool] = False
    max_references: ClassVar[int] = 0
    host_bound: ClassVar[bool] = False
    """Its jobs need something only some processes hold (a model loaded on a GPU): only
    processes started to host it (``storyreel worker --local``) take them from its queue."""
    default_worker_concurrency: ClassVar[int | None] = None
    """Jobs per process when the settings say nothing (1: one model, one render at a time)."""

    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx

    def available(self) -> bool:
        """Whether this provider can take jobs here (a remote one needs its key); failover
        skips providers that cannot."""
        return True

    def check(self, req: GenerationRequest) -> None:
        """Refuse what this provider cannot do, before anything is paid for."""
        if req.task not in self.tasks:
            can = ", ".join(sorted(self.tasks))
            raise InputError(f"provider {self.name!r} cannot do {req.task}; it can do: {can}")
        if len(req.references) > self.max_references:
            raise InputError(
                f"provider {self.name!r} takes at most {self.max_references} reference "
                f"images, got {len(req.references)}"
            )

    @abstractmethod
    async def submit(
        self, req: GenerationRequest, *, job_id: str, webhook_url: str | None
    ) -> Handle:
        """Start the generation; return a handle that survives a process restart.

        ``job_id`` is storyreel's id for the job: providers that accept an idempotency or
        tracking id pass it on, so a submit repeated after a crash is recognised."""

    @abstractmethod
    async def poll(self, handle: Handle) -> Status:
        """Observe the job once. Raises ProviderAPIError when the observation failed."""

    @abstractmethod
    async def result(self, handle: Handle) -> list[RemoteArtifact]:
        """The outputs of a succeeded job, to download immediately."""

    def can_find_submitted(self, req: GenerationRequest) -> bool:
        """Whether ``find_submitted`` can tell, for this request, if the provider already
        took it. Providers with a lookup (a request history, a list of predictions, a
        tracking id) say True; a synchronous endpoint with nothing to look up says False."""
        return False

    async def find_submitted(
        self, req: GenerationRequest, *, job_id: str, since: float
    ) -> Handle | None:
        """The provider's own record of a submit whose outcome we lost (a crash while the
        request was in flight), as a handle to adopt; None when the provider has no such
        request, so submitting is safe. ``since`` is the Unix time the attempt started.
        Only called where ``can_find_submitted`` is True."""
        return None

    async def cancel(self, handle: Handle) -> None:  # noqa: B027 - optional by design
        """Ask the provider to stop; providers without a cancel call do nothing."""

    async def upload(self, data: bytes, mime: str) -> str:
        """Put a local file where the provider can read it; return its URL."""
        raise ProviderError(f"provider {self.name!r} does not take uploads", provider=self.name)

    async def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        """Verify and parse a webhook delivery; raise WebhookRejected if it is forged or
        replayed. Async because verifying may need the provider's published keys."""
        raise ProviderError(f"provider {self.name!r} sends no webhooks", provider=self.name)

    async def aclose(self) -> None:  # noqa: B027 - optional by design
        """Release connections; called when the engine stops."""

    def scratch_path(self, request_id: str, suffix: str) -> Path:
        """Where a local provider writes an output before the engine stores it."""
        folder = self.ctx.scratch_dir / self.name
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{request_id}{suffix}"
