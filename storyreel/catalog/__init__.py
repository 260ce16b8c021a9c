"""The model catalog: which models exist, what each can do, and what each job costs.

Prices are data (``data/<provider>.toml``, each with a dated source) because providers
change them every few months; the user's ``catalog.toml`` in the data dir (or the file named
by ``STORYREEL_CATALOG_FILE``) overrides any of them. Estimates are ``Decimal`` dollars so
that a budget check and a bill agree to the cent.

    >>> from storyreel.catalog import Catalog
    >>> catalog = Catalog.load()
    >>> catalog.resolve("kling").id
    'fal:fal-ai/kling-video/v2.5-turbo/pro/image-to-video'
"""

from __future__ import annotations

from .catalog import Catalog, clear_cache, price_inputs
from .files import CATALOG_FILE_ENV, USER_FILE_NAME, user_catalog_path
from .price_rules import (
    BasePlusPerSecondRule,
    FlatByDurationRule,
    FreeRule,
    GpuSecondsRule,
    PerImageByQualityRule,
    PerImageRule,
    PerMegapixelRule,
    PerSecondRule,
    PerTokenRule,
    PriceRule,
    SubscriptionRule,
)
from .pricing import (
    REPLICATE_HARDWARE_USD_PER_SECOND,
    PriceInputs,
    Row,
    break_even,
    compare_subscription,
    format_usd,
)
from .schema import ModelEntry

__all__ = [
    "CATALOG_FILE_ENV",
    "REPLICATE_HARDWARE_USD_PER_SECOND",
    "USER_FILE_NAME",
    "BasePlusPerSecondRule",
    "Catalog",
    "FlatByDurationRule",
    "FreeRule",
    "GpuSecondsRule",
    "ModelEntry",
    "PerImageByQualityRule",
    "PerImageRule",
    "PerMegapixelRule",
    "PerSecondRule",
    "PerTokenRule",
    "PriceInputs",
    "PriceRule",
    "Row",
    "SubscriptionRule",
    "break_even",
    "clear_cache",
    "compare_subscription",
    "format_usd",
    "price_inputs",
    "user_catalog_path",
]
