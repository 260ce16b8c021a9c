"""Typed provider options: one ConfigError naming the provider and the option."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyreel.config import ProviderSettings
from storyreel.errors import ConfigError
from storyreel.providers.base import ProviderContext
from storyreel.providers.fal import FalOptions, FalProvider
from storyreel.providers.modelslab import ModelsLabOptions
from storyreel.providers.options import ProviderOptions, options_model, parse_options
from storyreel.providers.replicate import ReplicateOptions, ReplicateProvider
from storyreel.providers.sketch.provider import SketchProvider
from storyreel.store.assets import AssetStore


def test_defaults_and_values() -> None:
    assert parse_options("fal", FalOptions, {}).platform_url == "https://api.fal.ai"
    options = parse_options("replicate", ReplicateOptions, {"prefer_wait": "5"})
    assert options.prefer_wait == 5 and options.cancel_after is None
    assert (
        parse_options("replicate", ReplicateOptions, {"webhook_secret": ""}).webhook_secret is None
    )


@pytest.mark.parametrize(
    ("model", "raw", "message"),
    [
        (
            FalOptions,
            {"jwks_ur": "http://x"},
            "provider 'fal' has no option 'jwks_ur' (STORYREEL_PROVIDERS__FAL__OPTIONS__JWKS_UR); "
            "its options: rest_url, jwks_url, platform_url",
        ),
        (
            ReplicateOptions,
            {"prefer_wait": "61"},
            "provider 'fal' option 'prefer_wait' (STORYREEL_PROVIDERS__FAL__OPTIONS__PREFER_WAIT): "
            "Input should be less than or equal to 60",
        ),
        (ReplicateOptions, {"cancel_after": "ten minutes"}, "option 'cancel_after'"),
        (ModelsLabOptions, {"image_api_version": "v7"}, "option 'image_api_version'"),
        (ProviderOptions, {"anything": "1"}, "has no option 'anything'"),
    ],
)
def test_bad_options_name_the_provider_and_the_option(
    model: type[ProviderOptions], raw: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_options("fal", model, raw)
    assert message in caught.value.message


def test_providers_declare_their_options_and_read_them_typed(tmp_path: Path) -> None:
    assert options_model(FalProvider) is FalOptions
    assert options_model(SketchProvider) is ProviderOptions  # declares none: takes none
    ctx = ProviderContext(
        settings=ProviderSettings(api_key="k", options={"prefer_wait": "0", "cancel_after": "1m"}),
        assets=AssetStore(tmp_path / "assets"),
        scratch_dir=tmp_path / "scratch",
    )
    provider = ReplicateProvider(ctx)
    assert (provider.prefer_wait, provider.cancel_after) == (0, "1m")
    with pytest.raises(ConfigError, match=r"replicate.*prefer_wai"):
        ReplicateProvider(
            ProviderContext(
                settings=ProviderSettings(options={"prefer_wai": "0"}),
                assets=ctx.assets,
                scratch_dir=ctx.scratch_dir,
            )
        )
