"""fal's per-app input rules, shared by the adapter and the simulator: a missing or empty
required field, a value outside an enum and too many reference images are each one
fal-style 422 ``detail`` entry; a good body has none; unknown apps are None."""

from __future__ import annotations

from storyreel.providers.fal_apps import app_for, image_size, validate_input

EDIT = "fal-ai/gpt-image-1.5/edit"  # prompt and image_urls required, quality enum, 16 images


def test_a_good_body_has_no_errors() -> None:
    app = app_for(EDIT)
    assert app is not None
    body = {"prompt": "a cat", "image_urls": ["https://x/a.png"] * 16, "quality": "low"}
    assert validate_input(app, body) == []


def test_every_problem_is_one_fal_detail_entry() -> None:
    app = app_for(EDIT)
    assert app is not None
    errors = validate_input(
        app, {"prompt": "", "image_urls": ["https://x/a.png"] * 17, "quality": "ultra"}
    )
    assert [(e["loc"], e["type"]) for e in errors] == [
        (["body", "prompt"], "value_error.missing"),
        (["body", "quality"], "value_error.const"),
        (["body", "image_urls"], "value_error.list.max_items"),
    ]
    assert errors[1]["msg"] == "unexpected value; permitted: 'low', 'medium', 'high'"
    assert errors[1]["ctx"] == {"given": "ultra", "permitted": ["low", "medium", "high"]}
    assert errors[2]["msg"] == "ensure this value has at most 16 items"


def test_an_empty_list_is_missing() -> None:
    app = app_for(EDIT)
    assert app is not None
    errors = validate_input(app, {"prompt": "x", "image_urls": []})
    assert [e["loc"] for e in errors] == [["body", "image_urls"]]


def test_unknown_apps_and_image_sizes() -> None:
    assert app_for("fal-ai/no-such-app") is None
    assert image_size(1024, 576) == {"width": 1024, "height": 576}
    assert image_size(None, 576) == "landscape_16_9"
    assert image_size(0, 0) == "landscape_16_9"
