"""The services a running engine process shares with its workflow steps.

DBOS workflows are module-level functions recovered by name after a crash, so they cannot
receive live objects as arguments; they find the database, the asset store and provider
instances here. ``Runtime`` is built once per process by ``Engine.start``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from storyreel.config import Settings
from storyreel.errors import ConfigError
from storyreel.providers.base import Provider, ProviderContext
from storyreel.providers.registry import ProviderRegistry, load_registry
from storyreel.store.assets import AssetStore
from storyreel.store.db import Database
from storyreel.store.uploads import UploadCache


@dataclass
class Runtime:
    settings: Settings
    db: Database
    assets: AssetStore
    registry: ProviderRegistry
    _providers: dict[str, Provider] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        data = settings.data_path
        return cls(
            settings=settings,
            db=Database(settings.app_database_url, retry_seconds=settings.database_retry_seconds),
            assets=AssetStore(data / "assets"),
            registry=load_registry(settings),
        )

    @property
    def scratch_dir(self) -> Path:
        return self.settings.data_path / "scratch"

    def provider(self, name: str) -> Provider:
        """One provider instance per process, created on first use."""
        if name not in self._providers:
            cls = self.registry.get(name)
            ctx = ProviderContext(
                settings=self.settings.provider(name),
                assets=self.assets,
                scratch_dir=self.scratch_dir,
                uploads=UploadCache(self.db),
                local=self.settings.local_resolved,
            )
            self._providers[name] = cls(ctx)
        return self._providers[name]

    async def close(self) -> None:
        for provider in self._providers.values():
            await provider.aclose()
        self._providers.clear()
        await self.db.close()


_current: Runtime | None = None


def set_runtime(runtime: Runtime | None) -> None:
    global _current
    _current = runtime


def runtime() -> Runtime:
    if _current is None:
        raise ConfigError("the storyreel engine is not started in this process")
    return _current
