"""``storyreel info``: where everything is, and which settings are in force.

The first thing to run when ``jobs list`` shows unexpected jobs (which data dir, and why),
a provider refuses to start (is its key set: never the key itself) or a plugin is missing.
Reads settings only: it creates no folder and opens no database.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table

import storyreel
from storyreel.catalog import user_catalog_path

from .common import JsonOption, console, emit_json, guard, settings
from .logs import LOG_NAME
from .schemas import Info, PluginInfo, ProviderInfo

if TYPE_CHECKING:
    from storyreel.config import Settings

ORIGINS = {
    "STORYREEL_DATA_DIR": "set by STORYREEL_DATA_DIR",
    "project": "a project-local .storyreel folder, found walking up from here",
    "user": "the user data dir (no .storyreel folder here or above)",
}


def _database(cfg: Settings, data_dir: Path) -> str:
    """The app database, password hidden (not ``app_database_url``: that creates the
    data dir)."""
    from sqlalchemy.engine import make_url  # imported on use: keeps `storyreel --help` fast

    if cfg.database_url is None:
        return f"sqlite:///{data_dir / 'storyreel.db'}"
    return make_url(cfg.database_url).render_as_string(hide_password=True)


def gather(cfg: Settings) -> Info:
    """Everything ``info`` reports, as its ``--json`` shape."""
    # imported on use: keeps `storyreel --help` fast
    from storyreel.providers.registry import BUILTIN_MODULES, ENTRY_POINT_GROUP, load_registry
    from storyreel.providers.remote import RemoteProvider

    data_dir = cfg.data_dir.expanduser().resolve()
    registry = load_registry(cfg)
    providers = []
    for name in registry.names():
        cls = registry.get(name)
        knobs = cfg.provider(name)
        remote = issubclass(cls, RemoteProvider)
        has_key = knobs.api_key is not None and bool(knobs.api_key.get_secret_value())
        providers.append(
            ProviderInfo(
                name=name,
                key=("set" if has_key else "missing") if remote else "not needed",
                base_url=(knobs.base_url or getattr(cls, "default_base_url", None))
                if remote
                else None,
                options=sorted(knobs.options),
            )
        )
    allow = cfg.plugin_filter
    builtin = set(BUILTIN_MODULES.values())
    plugins = [
        PluginInfo(
            name=ep.name,
            module=ep.value,
            loaded=(allow is None or ep.name in allow) and ep.name in registry.names(),
            builtin=ep.value in builtin,
        )
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)
    ]
    env_file = Path(".env")
    return Info(
        version=storyreel.__version__,
        data_dir=data_dir,
        data_dir_origin=cfg.data_dir_origin,
        database=_database(cfg, data_dir),
        log_file=data_dir / "logs" / LOG_NAME,
        catalog_file=user_catalog_path(cfg),
        env_file=env_file.resolve() if env_file.is_file() else None,
        providers=providers,
        plugins=plugins,
        load_plugins=sorted(allow) if allow is not None else None,
    )


def info_command(as_json: JsonOption = False) -> None:
    """Show the version, data dir (and why), database, log file, providers and plugins."""
    with guard():
        report = gather(settings())
    if as_json:
        emit_json(report)
        return
    line = console.print
    line(f"storyreel {report.version}", highlight=False)
    line(
        f"data dir:  {report.data_dir}  ({ORIGINS[report.data_dir_origin]})",
        highlight=False,
        soft_wrap=True,
    )
    line(f"database:  {report.database}", highlight=False, soft_wrap=True)
    line(f"log file:  {report.log_file}", highlight=False)
    line(f"catalog:   {report.catalog_file or 'built-in only'}", highlight=False)
    line(f".env:      {report.env_file or 'none here'}", highlight=False)
    table = Table(title="providers")
    for column in ("name", "key", "base url", "options"):
        table.add_column(column, overflow="fold")
    for p in report.providers:
        table.add_row(p.name, p.key, p.base_url or "", ", ".join(p.options))
    line(table)
    only = ", ".join(report.load_plugins) if report.load_plugins is not None else "all"
    line(f"plugins (STORYREEL_LOAD_PLUGINS: {only}):", highlight=False)
    for plugin in report.plugins:
        state = "loaded" if plugin.loaded else "skipped"
        kind = "built-in" if plugin.builtin else "plugin"
        line(f"  {plugin.name:<12} {state:<8} {kind:<9} {plugin.module}", highlight=False)
