"""Catalog behaviour: names, validation, user overrides, failover chains, caching."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

from storyreel.catalog import CATALOG_FILE_ENV, Catalog, ModelEntry, clear_cache
from storyreel.catalog.files import builtin_model_files
from storyreel.config import Settings
from storyreel.errors import ConfigError, InputError
from storyreel.vocabulary import GenerationRequest, Reference, RefRole, Task

D = Decimal
KLING = "fal:fal-ai/kling-video/v2.5-turbo/pro/image-to-video"
VEO = "fal:fal-ai/veo3.1/image-to-video"


@pytest.fixture
def catalog() -> Catalog:
    return Catalog.builtin()


def ref(role: RefRole = RefRole.CHARACTER) -> Reference:
    return Reference(role=role, asset="0" * 64)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


MINI = """
provider = "acme"

[[models]]
id = "acme:one"
aliases = ["{alias}"]
title = "One"
tasks = ["text-to-image"]
price = {{ kind = "per_image", usd = "0.01" }}
price_source = "test, 2026"
"""


# -- names ------------------------------------------------------------------------------


def test_resolve_by_id_alias_and_case(catalog: Catalog) -> None:
    assert catalog.resolve(KLING).id == KLING
    assert catalog.resolve("kling").id == KLING
    assert catalog.resolve(" KLING ").id == KLING
    assert catalog.resolve(KLING.upper()).id == KLING
    assert "veo31" in catalog
    assert "veo32" not in catalog


def test_unknown_name_lists_close_matches(catalog: Catalog) -> None:
    with pytest.raises(InputError) as info:
        catalog.resolve("klign")
    message = info.value.message
    assert message.startswith("unknown model 'klign'; did you mean ")
    assert "kling" in message
    assert "\n" not in message
    with pytest.raises(InputError, match="veo31-fast"):
        catalog.resolve("veo3.1-fast")


def test_unknown_name_without_close_matches_says_where_to_look(catalog: Catalog) -> None:
    with pytest.raises(InputError, match="storyreel models") as info:
        catalog.resolve("zzzzzzzzzzzzzzzzzzzzzzzzzzzz")
    assert "did you mean" not in info.value.message


def test_models_by_task(catalog: Catalog) -> None:
    videos = catalog.models(Task.IMAGE_TO_VIDEO)
    assert videos and all(Task.IMAGE_TO_VIDEO in m.tasks for m in videos)
    assert {m.output_kind for m in videos} == {"video"}
    assert [m.id for m in catalog.models()] == sorted(m.id for m in catalog.models())
    chat = [m.id for m in catalog.models(Task.CHAT)]
    assert {"aimlapi:gpt-4o", "openai:gpt-4o", "openai:gpt-4o-mini"} <= set(chat)
    assert catalog.aliases()["kling"] == [KLING]


def test_an_alias_names_one_model_per_task(catalog: Catalog) -> None:
    """flux-2-pro is the text-to-image endpoint for a shot with no references and the edit
    endpoint for one with them; the request is bound to the right one before it is sent."""
    assert catalog.resolve("flux-2-pro", Task.TEXT_TO_IMAGE).id == "fal:fal-ai/flux-2-pro"
    assert catalog.resolve("flux-2-pro", Task.REFERENCE_TO_IMAGE).id == "fal:fal-ai/flux-2-pro/edit"
    assert catalog.resolve("flux-2-pro").id == "fal:fal-ai/flux-2-pro/edit"
    edit = GenerationRequest(
        task=Task.TEXT_TO_IMAGE, model="fal:fal-ai/flux-2-pro/edit", prompt="a harbour"
    )
    with pytest.raises(InputError, match="cannot do text-to-image"):
        catalog.bind(edit)  # a full id is that model, never another one


def test_bind_snaps_a_fixed_duration_to_what_the_model_bills(catalog: Catalog) -> None:
    clip = GenerationRequest(task=Task.IMAGE_TO_VIDEO, model=VEO, prompt="x", duration=2.5)
    bound = catalog.bind(clip)
    assert bound.duration == 4
    assert catalog.estimate(clip) == catalog.estimate(bound)
    catalog.validate_request(bound)


def test_same_family_chain_keeps_the_model(catalog: Catalog) -> None:
    chain = catalog.chain("veo31-fast", Task.IMAGE_TO_VIDEO, same_family=True)
    assert chain and all(catalog.resolve(m).family_name == "veo-3.1-fast" for m in chain)
    assert catalog.chain("kling", Task.IMAGE_TO_VIDEO, same_family=True) == []


# -- validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"model": VEO, "task": "image-to-video", "duration": 5},
            f"{VEO}: a 5 s clip is not possible; durations: 4, 6, 8 s",
        ),
        (
            {"model": VEO, "task": "image-to-video", "resolution": "4k"},
            f"{VEO}: resolution 4k is not possible; resolutions: 720p, 1080p",
        ),
        (
            {"model": VEO, "task": "text-to-image"},
            f"{VEO} cannot do text-to-image; it does: image-to-video",
        ),
        (
            {"model": VEO, "task": "image-to-video", "references": (ref(), ref())},
            f"{VEO} takes at most 1 reference image, got 2",
        ),
        (
            {
                "model": "fal:fal-ai/flux-2-pro/edit",
                "task": "reference-to-image",
                "references": tuple(ref() for _ in range(10)),
            },
            "fal:fal-ai/flux-2-pro/edit takes at most 9 reference images, got 10",
        ),
        (
            {"model": "fal:fal-ai/flux-2-pro/edit", "task": "image-to-image", "count": 2},
            "makes at most 1 output per job, got 2",
        ),
        (
            {"model": KLING, "task": "image-to-video", "audio": True},
            f"{KLING} cannot generate audio",
        ),
        (
            {
                "model": "fal:fal-ai/gpt-image-1.5/edit",
                "task": "image-to-image",
                "extra": {"quality": "ultra"},
            },
            "quality ultra is not one of low, medium, high",
        ),
    ],
)
def test_validate_request_rejects_with_one_clear_line(
    catalog: Catalog, fields: dict[str, object], message: str
) -> None:
    req = GenerationRequest.model_validate(fields)
    with pytest.raises(InputError) as info:
        catalog.validate_request(req)
    assert message in info.value.message
    assert "\n" not in info.value.message


def test_validate_request_accepts_and_returns_the_entry(catalog: Catalog) -> None:
    req = GenerationRequest(
        task=Task.IMAGE_TO_VIDEO,
        model=VEO,
        duration=6,
        resolution="1080p",
        audio=True,
        references=(ref(RefRole.FIRST_FRAME),),
    )
    entry = catalog.validate_request(req)
    assert entry.id == VEO
    assert catalog.estimate(req) == D("2.40")


# -- estimates --------------------------------------------------------------------------


def test_estimate_fills_in_model_defaults(catalog: Catalog) -> None:
    # kling: default 5 s; wan: default 1080p; sora-2-pro: 4 s at 720p
    assert catalog.estimate(GenerationRequest(task=Task.IMAGE_TO_VIDEO, model=KLING)) == D("0.35")
    wan = catalog.resolve("wan").id
    assert catalog.estimate(GenerationRequest(task=Task.IMAGE_TO_VIDEO, model=wan)) == D("0.75")
    pro = catalog.resolve("sora-2-pro").id
    assert catalog.estimate(GenerationRequest(task=Task.IMAGE_TO_VIDEO, model=pro)) == D("1.20")


def test_estimate_is_decimal_quantised_to_six_places(catalog: Catalog) -> None:
    lama = catalog.resolve("lama").id
    cost = catalog.estimate(GenerationRequest(task=Task.INPAINT, model=lama))
    assert isinstance(cost, Decimal)
    assert cost == D("0.002013")
    assert cost.as_tuple().exponent == -6


def test_estimate_errors_name_the_model(catalog: Catalog) -> None:
    req = GenerationRequest(
        task=Task.IMAGE_TO_VIDEO, model="fal:fal-ai/wan-i2v", resolution="1080p"
    )
    with pytest.raises(
        InputError, match=r"^fal:fal-ai/wan-i2v: no flat price for resolution 1080p"
    ):
        catalog.estimate(req)


def test_estimate_story_panel_size_and_counts(catalog: Catalog) -> None:
    flux = "fal:fal-ai/flux-2-pro/edit"
    wide = GenerationRequest(task=Task.IMAGE_TO_IMAGE, model=flux, width=2048, height=1152)
    assert catalog.estimate(wide) == D("0.06")  # 2.25 MP -> 3 MP: 0.03 + 2 x 0.015
    aspect = GenerationRequest(task=Task.IMAGE_TO_IMAGE, model=flux, aspect="4:3")
    assert catalog.estimate(aspect) == D("0.03")  # same area as 1 MP, rounded down
    four = GenerationRequest(task=Task.TEXT_TO_IMAGE, model="fal:fal-ai/flux-2/turbo", count=4)
    assert catalog.estimate(four) == D("0.032")


def test_bad_token_counts_are_input_errors(catalog: Catalog) -> None:
    req = GenerationRequest(task=Task.CHAT, model="aimlapi:gpt-4o", extra={"input_tokens": "x"})
    with pytest.raises(InputError, match="input_tokens must be a whole number"):
        catalog.estimate(req)


def test_plan(catalog: Catalog) -> None:
    entry, plan = catalog.plan("modelslab")
    assert entry.provider == "modelslab"
    assert plan.monthly_usd == D(199)
    assert catalog.plan("seedance-1.5-pro")[1].plan == plan.plan
    with pytest.raises(InputError, match="not priced by a subscription; plans: modelslab"):
        catalog.plan("fal")


# -- failover chains --------------------------------------------------------------------


def test_chain_is_the_models_after_this_one(catalog: Catalog) -> None:
    assert catalog.chain(KLING) == ["replicate:google/veo-3.1-fast", "modelslab:seedance-1.5-pro"]
    assert catalog.chain("kling") == catalog.chain(KLING)
    assert catalog.chain("replicate:google/veo-3.1-fast") == ["modelslab:seedance-1.5-pro"]
    assert catalog.chain("modelslab:seedance-1.5-pro") == []


def test_a_model_outside_the_chain_gets_the_whole_chain(catalog: Catalog) -> None:
    chain = catalog.chains()[Task.IMAGE_TO_VIDEO]
    assert catalog.chain("kling-master") == chain
    assert "fal:fal-ai/kling-video/v2.1/master/image-to-video" not in chain


def test_explicit_fallbacks_win(catalog: Catalog) -> None:
    assert catalog.chain("veo31-fast") == [
        "replicate:google/veo-3.1-fast",
        "gemini:veo-3.1-fast-generate-preview",
    ]
    assert catalog.chain("hailuo-2.3-fast") == ["aimlapi:minimax/hailuo-2.3-fast"]


def test_chain_for_another_task(catalog: Catalog) -> None:
    assert catalog.chain(KLING, Task.FIRST_LAST_TO_VIDEO) == ["replicate:google/veo-3.1-fast"]


def test_every_chain_member_can_do_the_task(catalog: Catalog) -> None:
    for task, ids in catalog.chains().items():
        for model_id in ids:
            assert task in catalog.resolve(model_id).tasks


# -- the user's file --------------------------------------------------------------------


OVERRIDE = f"""
[[models]]
id = "{KLING}"
price_source = "my invoice, 2026-12"

[models.price]
kind = "base_plus_per_second"
base_seconds = "5"
base_usd = "0.30"
extra_per_second_usd = "0.06"

[[models]]
id = "fal:fal-ai/new-video"
aliases = ["newvid"]
title = "A new model"
tasks = ["image-to-video"]
max_references = 1
default_duration = 5
price = {{ kind = "per_second", by_resolution = {{ "*" = "0.01" }} }}
price_source = "fal page, 2026-12"

[chains]
image-to-video = ["newvid", "kling"]

[fallbacks]
"veo31" = ["kling"]
"""


def test_user_file_overrides_a_price_by_id(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = write(tmp_path / "mine.toml", OVERRIDE)
    monkeypatch.setenv(CATALOG_FILE_ENV, str(path))
    catalog = Catalog.load()
    entry = catalog.resolve("kling")
    assert entry.price_source == "my invoice, 2026-12"
    assert entry.title == "Kling v2.5 Turbo Pro (image to video)"  # untouched fields kept
    assert entry.durations == [5, 10]
    req = GenerationRequest(task=Task.IMAGE_TO_VIDEO, model=KLING, duration=10)
    assert catalog.estimate(req) == D("0.60")
    assert Catalog.builtin().estimate(req) == D("0.70")


def test_user_file_adds_models_and_replaces_chains(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(CATALOG_FILE_ENV, str(write(tmp_path / "mine.toml", OVERRIDE)))
    catalog = Catalog.load()
    assert catalog.resolve("newvid").id == "fal:fal-ai/new-video"
    req = GenerationRequest(task=Task.IMAGE_TO_VIDEO, model="fal:fal-ai/new-video", duration=10)
    assert catalog.estimate(req) == D("0.10")
    assert catalog.chain("newvid") == [KLING]
    assert catalog.chain("veo31") == [KLING]
    assert len(catalog) == len(Catalog.builtin()) + 1


def test_user_file_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    write(
        tmp_path / "data" / "catalog.toml",
        '[[models]]\nid = "kie:seedream/4.5-edit"\nprice = { kind = "per_image", usd = "0.025" }\n',
    )
    catalog = Catalog.load(settings)
    req = GenerationRequest(task=Task.IMAGE_TO_IMAGE, model="kie:seedream/4.5-edit")
    assert catalog.estimate(req) == D("0.025")


def test_default_data_dir_is_read_without_being_created(tmp_path: Path) -> None:
    # conftest chdirs to tmp_path and points XDG_DATA_HOME there: the default data dir is
    # the user data dir under it
    assert Catalog.load() is Catalog.builtin()
    assert not (tmp_path / "xdg-data").exists() and not (tmp_path / ".storyreel").exists()


def test_load_is_cached_until_the_file_changes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = write(tmp_path / "mine.toml", OVERRIDE)
    monkeypatch.setenv(CATALOG_FILE_ENV, str(path))
    first = Catalog.load()
    assert Catalog.load() is first
    path.write_text(OVERRIDE.replace('"0.30"', '"0.3100"'))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second = Catalog.load()
    assert second is not first
    assert second.estimate(GenerationRequest(task=Task.IMAGE_TO_VIDEO, model=KLING)) == D("0.31")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[[models]]\nid = 'fal:fal-ai/x'\n",
            "mine.toml: model fal:fal-ai/x: title: Field required",
        ),
        (
            f"[[models]]\nid = '{KLING}'\n"
            "price = { kind = 'per_image', usd = '0.1', frist = 1 }\n",
            f"mine.toml: model {KLING}: price.per_image.frist: Extra inputs are not permitted",
        ),
        (
            f"[[models]]\nid = '{KLING}'\ndurations = [5, 10]\ndefault_duration = 7\n",
            "default_duration 7 is not in durations",
        ),
        (f"[[models]]\nid = '{KLING}'\naliases = ['veo31']\n", "alias 'veo31' names both"),
        ("[chains]\nimage-to-video = ['nope:nothing']\n", "chain image-to-video: unknown model"),
        ("[chains]\nimage-to-video = ['sketch']\n", "sketch:previz cannot do image-to-video"),
        ("[chains]\nsing = ['kling']\n", "chain 'sing' is not a task"),
        ("[fallbacks]\nkling = ['sketch']\n", "shares no task with it"),
        ("[budget]\nmax = 1\n", "unknown top-level key 'budget'"),
        ("[[models]]\nid = 'kling'\n", "override models by full id (provider:model), not 'kling'"),
        ("models = 'x'", "'models' must be an array of tables"),
        ("[[models]]\ntitle = 'no id'\n", "every [[models]] entry needs an id"),
        ("[models\n", "mine.toml: not valid TOML"),
        (
            f"[[models]]\nid = '{KLING}'\n[[models]]\nid = '{KLING}'\n",
            f"model {KLING} is listed twice",
        ),
    ],
)
def test_bad_user_files_are_one_line_config_errors(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, message: str
) -> None:
    monkeypatch.setenv(CATALOG_FILE_ENV, str(write(tmp_path / "mine.toml", text)))
    with pytest.raises(ConfigError) as info:
        Catalog.load()
    assert message in info.value.message
    assert "\n" not in info.value.message


def test_a_missing_named_file_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CATALOG_FILE_ENV, str(tmp_path / "gone.toml"))
    with pytest.raises(ConfigError, match="no such file"):
        Catalog.load()


# -- the shipped data's own checks ------------------------------------------------------


def test_duplicate_alias_in_data_is_rejected(tmp_path: Path) -> None:
    one = write(tmp_path / "a.toml", MINI.format(alias="same"))
    two = write(tmp_path / "b.toml", MINI.format(alias="same").replace("acme:one", "acme:two"))
    with pytest.raises(ConfigError, match="alias 'same' names both acme:one and acme:two"):
        Catalog.from_files([one, two])


def test_duplicate_alias_against_the_builtin_data_is_rejected(tmp_path: Path) -> None:
    # flux-2-pro already names a text-to-image model; MINI is text-to-image too.
    extra = write(tmp_path / "acme.toml", MINI.format(alias="flux-2-pro"))
    with pytest.raises(ConfigError, match="alias 'flux-2-pro' names both"):
        Catalog.from_files([*builtin_model_files(), extra])


def test_duplicate_id_and_wrong_provider_are_rejected(tmp_path: Path) -> None:
    one = write(tmp_path / "a.toml", MINI.format(alias="x"))
    two = write(tmp_path / "b.toml", MINI.format(alias="y"))
    with pytest.raises(ConfigError, match=r"b.toml: model acme:one is also defined in a.toml"):
        Catalog.from_files([one, two])
    wrong = write(tmp_path / "c.toml", MINI.format(alias="z").replace('"acme"', '"fal"'))
    with pytest.raises(ConfigError, match="acme:one is not a fal: model"):
        Catalog.from_files([wrong])


def test_alias_may_not_be_an_id() -> None:
    entry = Catalog.builtin().resolve("sketch")
    clash = entry.model_copy(update={"id": "x:y", "aliases": ["sketch:previz"]})
    with pytest.raises(ConfigError, match="is another model's id"):
        Catalog([entry, clash])


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ({"kind": "per_second", "by_resolution": {"720p": "0.1"}}, "needs a default_duration"),
        ({"kind": "gpu_seconds", "hardware": "tpu", "expected_seconds": "1"}, "unknown Replicate"),
        ({"kind": "flat_by_duration"}, "exactly one of usd, by_resolution or durations"),
        ({"kind": "per_image", "usd": "-1"}, "greater than or equal to 0"),
        (
            {"kind": "per_image_by_quality", "by_quality": {"low": "1"}, "default_quality": "high"},
            "default_quality 'high' is not in by_quality",
        ),
        ({"kind": "shiny"}, "does not match any of the expected tags"),
    ],
)
def test_bad_price_rules_fail_on_load(price: dict[str, object], message: str) -> None:
    raw = {
        "id": "acme:x",
        "title": "x",
        "tasks": ["image-to-video"],
        "price": price,
        "price_source": "test",
    }
    with pytest.raises(ValueError, match=message):
        ModelEntry.model_validate(raw)


def test_every_listed_resolution_needs_a_price() -> None:
    raw = {
        "id": "acme:x",
        "title": "x",
        "tasks": ["image-to-video"],
        "resolutions": ["720p", "1080p"],
        "default_duration": 5,
        "price": {"kind": "per_second", "by_resolution": {"720p": "0.1"}},
        "price_source": "test",
    }
    with pytest.raises(ValueError, match="resolutions without a price: 1080p"):
        ModelEntry.model_validate(raw)


def test_user_file_named_in_the_env_file(tmp_path: Path) -> None:
    write(tmp_path / "mine.toml", OVERRIDE)
    (tmp_path / ".env").write_text(f"{CATALOG_FILE_ENV}={tmp_path / 'mine.toml'}\n")  # cwd
    assert Catalog.load().resolve("kling").price_source == "my invoice, 2026-12"


def test_the_digest_changes_with_any_price_and_only_then(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    builtin = Catalog.builtin().digest()
    assert Catalog.load(settings).digest() == builtin, "no user file: the built-in data"
    path = tmp_path / "data" / "catalog.toml"
    write(
        path,
        '[[models]]\nid = "kie:seedream/4.5-edit"\nprice = { kind = "per_image", usd = "0.025" }\n',
    )
    cheaper = Catalog.load(settings).digest()
    write(
        path,
        '[[models]]\nid = "kie:seedream/4.5-edit"\nprice = { kind = "per_image", usd = "0.026" }\n',
    )
    clear_cache()  # the same size, maybe the same mtime: not a new file version to the cache
    dearer = Catalog.load(settings).digest()
    assert len({builtin, cheaper, dearer}) == 3
