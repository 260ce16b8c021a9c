"""Typed provider options: ``STORYREEL_PROVIDERS__<NAME>__OPTIONS__<KEY>=...``.

Each provider that takes options declares them as a ``ProviderOptions`` subclass on its
class (``options_model``), so a misspelt option name or a bad value is a ConfigError that
names the provider and the option when the engine starts, not a default silently used at
the first job. A provider without an ``options_model`` takes no options at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from storyreel.errors import ConfigError

OptionsT = TypeVar("OptionsT", bound="ProviderOptions")


class ProviderOptions(BaseModel):
    """Base of every provider's options: unknown names are refused, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def options_model(provider_cls: type) -> type[ProviderOptions]:
    """The options class ``provider_cls`` declares (none declared: no options allowed)."""
    model = getattr(provider_cls, "options_model", ProviderOptions)
    assert isinstance(model, type) and issubclass(model, ProviderOptions)
    return model


def parse_options(provider: str, model: type[OptionsT], raw: Mapping[str, str]) -> OptionsT:
    """``raw`` validated against ``model``; the first problem as one ConfigError."""
    try:
        return model.model_validate(dict(raw))
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(part) for part in first["loc"]) or "options"
        env = f"STORYREEL_PROVIDERS__{provider.upper()}__OPTIONS__{name.upper()}"
        if first["type"] == "extra_forbidden":
            known = ", ".join(model.model_fields) or "none"
            raise ConfigError(
                f"provider {provider!r} has no option {name!r} ({env}); its options: {known}"
            ) from None
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"provider {provider!r} option {name!r} ({env}): {message}") from None
