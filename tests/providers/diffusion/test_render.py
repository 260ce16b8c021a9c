"""What a render asks of the pipeline: steps it really runs, strength, sizes."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from PIL import Image

from storyreel.errors import InputError
from storyreel.providers.diffusion import render
from storyreel.vocabulary import GenerationRequest, Task


def req(task: Task = Task.TEXT_TO_IMAGE, **fields: object) -> GenerationRequest:
    return GenerationRequest.model_validate({"task": task, "model": "local:m"} | fields)


def test_progress_counts_the_steps_strength_leaves() -> None:
    assert render.effective_steps(req(steps=20)) == 20
    assert render.effective_steps(req()) == render.DEFAULT_STEPS
    i2i = req(Task.IMAGE_TO_IMAGE, steps=20, extra={"strength": 0.5})
    assert render.effective_steps(i2i) == 10
    assert render.effective_steps(req(Task.INPAINT, steps=3, extra={"strength": 0.1})) == 1


@pytest.mark.parametrize("bad", [0, -1, 1.5, "0.5", None, True and "x"])
def test_strength_outside_zero_to_one_is_refused(bad: object) -> None:
    with pytest.raises(InputError, match="strength"):
        render.strength(req(Task.IMAGE_TO_IMAGE, extra={"strength": bad}))


def test_size_is_asked_else_the_init_image_else_the_model_native() -> None:
    pipe = SimpleNamespace(unet=SimpleNamespace(config=SimpleNamespace(sample_size=64)))
    pipe.vae_scale_factor = 8
    assert render._size(req(width=256, height=128), pipe, None) == (256, 128)
    assert render._size(req(), pipe, Image.new("RGB", (203, 99))) == (200, 96)
    assert render._size(req(), pipe, None) == (512, 512)
    assert render._size(req(), object(), None) == (render.DEFAULT_SIZE, render.DEFAULT_SIZE)
    with pytest.raises(InputError, match="multiples of 8"):
        render._size(req(width=100, height=64), pipe, None)


def test_a_clip_has_two_to_81_frames() -> None:
    assert render._frames(req(Task.IMAGE_TO_VIDEO, duration=2, fps=7)) == 14
    assert render._frames(req(Task.IMAGE_TO_VIDEO, duration=0.1, fps=1)) == 2
    assert render._frames(req(Task.IMAGE_TO_VIDEO, duration=60, fps=30)) == 81
