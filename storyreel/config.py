"""Settings, read once from ``STORYREEL_*`` environment variables and ``.env``.

Every knob storyreel has is a field here (nothing else reads ``os.environ``; the one
exception is the test-only crash switch ``STORYREEL_CHAOS_CRASH`` in ``testing/chaos.py``,
read before any settings exist), so ``storyreel info`` and the README can list them all
and a typo fails in one place; ``tests/test_settings_docs.py`` keeps the README in step.

The data dir (database, assets, logs, the user's catalog) is chosen in this order:
``STORYREEL_DATA_DIR`` when set; else a project-local ``.storyreel`` folder in the current
directory or the nearest parent that has one (found by walking up, as git finds ``.git``);
else the user's data dir (``platformdirs``, e.g. ``~/.local/share/storyreel``), so
``storyreel jobs list`` shows the same jobs wherever it runs.

One database URL decides the deployment: a ``sqlite`` URL (the default, a file in the data
dir) runs everything embedded on one machine; a ``postgresql`` URL puts both the app store
and the DBOS system tables on that server so ``storyreel worker`` processes on several
machines share the queues.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from storyreel.errors import ConfigError

APP_NAME = "storyreel"
PROJECT_DIR_NAME = ".storyreel"

DataDirOrigin = Literal["STORYREEL_DATA_DIR", "project", "user"]


def find_project_dir(start: Path | None = None) -> Path | None:
    """The nearest ``.storyreel`` folder in ``start`` (default: the current directory) or
    one of its parents, the way git finds ``.git``; None when there is none."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / PROJECT_DIR_NAME
        if candidate.is_dir():
            return candidate
    return None


def user_data_dir() -> Path:
    """The per-user data dir of this platform (honours ``XDG_DATA_HOME`` on Linux)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def locate_data_dir() -> tuple[Path, DataDirOrigin]:
    """The default data dir when ``STORYREEL_DATA_DIR`` is not set, and why."""
    project = find_project_dir()
    if project is not None:
        return project, "project"
    return user_data_dir(), "user"


def _default_data_dir() -> Path:
    return locate_data_dir()[0]


def key_variable(provider: str) -> str:
    """The environment variable that holds ``provider``'s API key."""
    return f"STORYREEL_PROVIDERS__{provider.upper()}__API_KEY"


class ProviderSettings(BaseModel):
    """Per-provider knobs: ``STORYREEL_PROVIDERS__FAL__API_KEY=...`` and so on."""

    api_key: SecretStr | None = None
    base_url: str | None = None
    concurrency: int = Field(default=4, ge=1, le=256, description="Jobs in flight, all workers.")
    worker_concurrency: int | None = Field(
        default=None, ge=1, le=256, description="Jobs in flight per worker process."
    )
    rate_limit_per_minute: int | None = Field(default=None, ge=1)
    options: dict[str, str] = Field(
        default_factory=dict,
        description="Provider-specific settings, e.g. fal's jwks_url or Replicate's "
        "webhook_secret (STORYREEL_PROVIDERS__REPLICATE__OPTIONS__WEBHOOK_SECRET).",
    )
    latency: float = Field(
        default=0.0,
        ge=0.0,
        description="Offline providers only: seconds a job stays 'running' (for demos and "
        "crash tests that need a slow provider).",
    )

    def require_key(self, provider: str) -> str:
        """The API key, or a ConfigError naming the variable to set: the one check every
        caller (settings, remote providers) makes before a key is used."""
        key = self.api_key
        if key is None or not key.get_secret_value():
            raise ConfigError(f"no API key for provider {provider!r}: set {key_variable(provider)}")
        return key.get_secret_value()


class ApiSettings(BaseModel):
    """``storyreel serve``: ``STORYREEL_API__HOST=0.0.0.0`` and so on."""

    host: str = Field(default="127.0.0.1", description="Address `storyreel serve` binds.")
    port: int = Field(default=8000, ge=1, le=65535)
    key_hashes: list[str] = Field(
        default_factory=list,
        description="SHA-256 hex digests of the API keys that may call the API (bearer). "
        "`storyreel serve --new-key` makes a key and stores its hash in the data dir "
        "(api_keys.txt); keys are never stored in clear.",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Browser origins allowed to call the API (CORS); empty: CORS off.",
    )
    max_body_bytes: int = Field(
        default=25 * 1024 * 1024,
        gt=0,
        description="Largest request body; bigger ones get 413 before they are read "
        "(uploads are also held to max_upload_bytes and max_image_pixels).",
    )
    run_jobs: bool = Field(
        default=True,
        description="Whether `storyreel serve` also runs jobs in its own process (the "
        "embedded default). false: it only queues them for `storyreel worker` processes on "
        "the same PostgreSQL, and needs no provider key.",
    )
    wait_seconds: float = Field(
        default=600.0,
        gt=0,
        description="How long a synchronous endpoint (seed 001's /generate, the OpenAI "
        "gateway) waits for its job before answering 504.",
    )
    image_model: str = Field(
        default="sketch:previz",
        description="Model of seed 001's /generate and /generate-video when no local model "
        "is installed, and of the OpenAI gateway when a request names no catalog model.",
    )


class LocalSettings(BaseModel):
    """Local generation with diffusers (``pip install storyreel[local]``):
    ``STORYREEL_LOCAL__DEVICE=cpu`` and so on. Models are ``local:<hub id or folder>``."""

    model_config = ConfigDict(frozen=True)

    model: str = Field(
        default="segmind/tiny-sd",
        description="The model 'local' means: a hub id or a folder in diffusers format.",
    )
    models_dir: Path | None = Field(
        default=None,
        description="A folder of diffusers-format model folders, each listed as "
        "local:<folder name>. Default: models/ in the data dir.",
    )
    hub_cache: Path | None = Field(
        default=None,
        description="The Hugging Face hub cache to look in for downloaded models. "
        "Default: huggingface_hub's (HF_HUB_CACHE, else ~/.cache/huggingface/hub).",
    )
    device: Literal["auto", "cuda", "mps", "cpu"] = Field(
        default="auto", description="auto: CUDA, then Apple MPS, then the CPU."
    )
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = Field(
        default="auto", description="auto: float16 on CUDA and MPS, float32 on the CPU."
    )
    attention_slicing: bool = Field(
        default=False, description="Compute attention in slices: less memory, a bit slower."
    )
    cpu_offload: Literal["none", "model", "sequential"] = Field(
        default="none",
        description="CUDA only: keep weights in RAM and move each part to the GPU when it "
        "runs ('model': whole sub-models, 'sequential': layer by layer, least memory).",
    )
    allow_download: bool = Field(
        default=False,
        description="Download a hub model that is not on this machine yet (needs network).",
    )
    allow_pickle: bool = Field(
        default=False,
        description="Also load pickle (.bin/.ckpt) weights. Unpickling runs code from the "
        "file: only for files you trust. Default: safetensors only.",
    )
    worker: bool | None = Field(
        default=None,
        description="Whether this process takes local jobs (true: 'storyreel worker --local'). "
        "Unset: yes on SQLite (everything runs on one machine), no on PostgreSQL, where "
        "only hosts started with it dequeue them, so one GPU host serves many API hosts.",
    )
    video_model: str | None = Field(
        default=None,
        description="A diffusers image-to-video model (Stable Video Diffusion, Wan), a hub id "
        "or folder; unset: no local image-to-video.",
    )
    ip_adapter: str | None = Field(
        default=None,
        description="IP-Adapter weights for reference images, as 'repo_or_folder:subfolder:"
        "weight file', e.g. 'h94/IP-Adapter:models:ip-adapter_sd15.safetensors'.",
    )


class Settings(BaseSettings):
    """Everything storyreel reads from its environment."""

    model_config = SettingsConfigDict(
        env_prefix="STORYREEL_",
        env_file=".env",
        env_nested_delimiter="__",
        extra="ignore",
    )

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Where the database, assets, logs and catalog.toml live. Default: the "
        "nearest .storyreel folder up from the current directory, else the user's data dir.",
    )
    catalog_file: Path | None = Field(
        default=None,
        description="A catalog file that overrides the built-in one (must exist); default: "
        "catalog.toml in the data dir when there is one.",
    )
    load_plugins: str | None = Field(
        default=None,
        description="Comma-separated provider entry-point names to load (built-ins "
        "included), e.g. 'sketch,motion'; unset: every installed provider.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the app store. Default: sqlite file in the data dir. "
        "A postgresql:// URL also moves the DBOS system tables to that server.",
    )
    database_retry_seconds: float = Field(
        default=60.0,
        ge=0,
        description="How long a database blip (a PostgreSQL restart, SQLite busy) is waited "
        "out, retrying with capped backoff, before the command gives up.",
    )
    executor_id: str | None = Field(
        default=None, description="Stable id of this process for DBOS; default: host:pid."
    )
    poll_interval: float = Field(
        default=2.0, gt=0, description="First poll delay for a model of unknown latency, seconds."
    )
    poll_interval_min: float = Field(
        default=0.2, gt=0, description="Shortest wait between polls near a job's expected finish."
    )
    poll_interval_max: float = Field(
        default=30.0, gt=0, description="Longest wait between polls of a slow job, seconds."
    )
    queue_poll_interval: float = Field(
        default=0.2,
        gt=0,
        description="How often a worker scans for jobs queued (or slots freed) by other "
        "processes, seconds; its own work wakes a queue at once.",
    )
    retry_base_delay: float = Field(
        default=1.0, gt=0, description="First retry delay after a transient provider error."
    )
    job_timeout: float = Field(default=3600.0, gt=0, description="Give up waiting on a job.")
    monthly_budget_usd: Decimal | None = Field(
        default=None,
        ge=0,
        description="Cap on all spending in a calendar month (UTC), across every project: "
        "a job that would cross it is not submitted.",
    )
    unknown_submit: Literal["resubmit", "stop"] = Field(
        default="resubmit",
        description="A submit whose outcome was lost (a crash while it was in flight) on a "
        "provider with no way to look it up: 'resubmit' sends it again and records the job "
        "as possibly billed twice; 'stop' fails the job and asks you to check.",
    )
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    max_image_pixels: int = Field(default=40_000_000, gt=0)
    providers: dict[str, ProviderSettings] = Field(default_factory=dict)
    api: ApiSettings = Field(default_factory=ApiSettings)
    local: LocalSettings = Field(default_factory=LocalSettings)
    public_url: str | None = Field(
        default=None,
        description="Where providers can reach this installation's webhook receiver, "
        "e.g. https://story.example.com. Unset: no webhooks, jobs complete by polling.",
    )
    webhook_listen: str | None = Field(
        default=None,
        description="host:port on which every engine process (story run, generate, "
        "worker) also serves the webhook receiver.",
    )
    webhook_max_bytes: int = Field(
        default=1024 * 1024,
        gt=0,
        description="Largest webhook body accepted; bigger ones get 413 before more than "
        "this is read (a declared Content-Length is refused before reading at all).",
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="Key for the per-job tokens in webhook URLs; default: a random key "
        "kept in the data dir.",
    )
    identity_model: str = Field(
        default="facebook/dinov2-small",
        max_length=1_000,
        description="The embedding identity scorer's DINOv2 or CLIP weights: a local folder "
        "or a model already in the Hugging Face cache (never downloaded).",
    )

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        if value is None:
            return None
        scheme = value.split(":", 1)[0].split("+", 1)[0]
        if scheme not in {"sqlite", "postgresql", "postgres"}:
            raise ValueError(f"database_url must be sqlite:// or postgresql://, got {scheme!r}")
        return value

    @property
    def data_dir_origin(self) -> DataDirOrigin:
        """Why ``data_dir`` is what it is: set explicitly, a project folder, or the
        user's data dir (``storyreel info`` says which)."""
        if "data_dir" in self.model_fields_set:
            return "STORYREEL_DATA_DIR"
        path, origin = locate_data_dir()
        return origin if path == self.data_dir else "STORYREEL_DATA_DIR"

    @property
    def plugin_filter(self) -> frozenset[str] | None:
        """The provider entry points to load, or None for all of them."""
        if not self.load_plugins:
            return None
        return frozenset(n.strip() for n in self.load_plugins.split(",") if n.strip())

    @cached_property
    def data_path(self) -> Path:
        """The data dir, absolute, created on first use."""
        path = self.data_dir.expanduser().resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def is_postgres(self) -> bool:
        return self.database_url is not None and self.database_url.startswith("postgres")

    @property
    def app_database_url(self) -> str:
        """Async SQLAlchemy URL for the app store."""
        if self.database_url is None:
            return f"sqlite+aiosqlite:///{self.data_path / 'storyreel.db'}"
        return _with_driver(self.database_url, sqlite="aiosqlite", postgres="psycopg")

    @property
    def system_database_url(self) -> str:
        """Sync URL for DBOS's own tables: a second SQLite file, or the same PostgreSQL."""
        if self.database_url is None or not self.is_postgres:
            return f"sqlite:///{self.data_path / 'dbos.db'}"
        return _with_driver(self.database_url, sqlite="pysqlite", postgres="psycopg")

    @property
    def local_resolved(self) -> LocalSettings:
        """``local`` with its folder defaults filled in (models/ in the data dir)."""
        if self.local.models_dir is not None:
            return self.local
        folder = self.data_dir.expanduser().resolve() / "models"
        return self.local.model_copy(update={"models_dir": folder})

    @property
    def hosts_local_jobs(self) -> bool:
        """Whether this process dequeues local (diffusers) jobs: as set, else on a
        one-machine (SQLite) install only."""
        return self.local.worker if self.local.worker is not None else not self.is_postgres

    def provider(self, name: str) -> ProviderSettings:
        return self.providers.get(name, ProviderSettings())

    def require_key(self, provider: str) -> str:
        """The provider's API key, or a ConfigError that says which variable to set."""
        return self.provider(provider).require_key(provider)


def _with_driver(url: str, *, sqlite: str, postgres: str) -> str:
    scheme, rest = url.split(":", 1)
    base = scheme.split("+", 1)[0]
    if base == "sqlite":
        return f"sqlite+{sqlite}:{rest}"
    return f"postgresql+{postgres}:{rest}"


def load_settings(**overrides: Any) -> Settings:
    """Read settings, turning validation errors into one readable ConfigError."""
    try:
        return Settings(**overrides)
    except ValueError as exc:
        raise ConfigError(f"invalid settings: {exc}") from exc
