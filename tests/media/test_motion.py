from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from storyreel.errors import InputError, MediaError
from storyreel.media import motion as motion_module
from storyreel.media.motion import (
    PAN_ZOOM,
    ZOOM_AMOUNT,
    MotionKind,
    motion_from_prompt,
    render_motion_clip,
)
from storyreel.media.probe import probe_video
from tests.media.helpers import encode, mean_diff, mean_rgb, pattern_image, read_frames

W, H, FPS = 320, 180, 12


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("camera slowly zooms in", MotionKind.PUSH_IN),
        ("Push in on her face", MotionKind.PUSH_IN),
        ("dolly in toward the door", MotionKind.PUSH_IN),
        ("the camera zooms slowly in on the lighthouse", MotionKind.PUSH_IN),
        ("slow zoom", MotionKind.PUSH_IN),
        ("zoom out", MotionKind.PULL_OUT),
        ("Pull back to reveal the city", MotionKind.PULL_OUT),
        ("pull out wide", MotionKind.PULL_OUT),
        ("camera dollies out", MotionKind.PULL_OUT),
        ("pan left", MotionKind.PAN_LEFT),
        ("the camera pans to the left across the valley", MotionKind.PAN_LEFT),
        ("slow pan right", MotionKind.PAN_RIGHT),
        ("camera pans across to the right", MotionKind.PAN_RIGHT),
        ("tilt up to the sky", MotionKind.TILT_UP),
        ("crane up over the rooftops", MotionKind.TILT_UP),
        ("look up at the tower", MotionKind.TILT_UP),
        ("tilt down to the street", MotionKind.TILT_DOWN),
        ("static", MotionKind.STATIC),
        ("still frame, the wind moves the grass", MotionKind.STATIC),
        ("locked-off wide shot", MotionKind.STATIC),
        ("Locked off", MotionKind.STATIC),
        ("", MotionKind.STATIC),
        ("a dragon breathes fire", MotionKind.STATIC),
        ("a still image that slowly zooms in", MotionKind.PUSH_IN),
        ("pan left, then zoom in", MotionKind.PAN_LEFT),
    ],
)
def test_motion_from_prompt(prompt: str, expected: MotionKind) -> None:
    assert motion_from_prompt(prompt) is expected


def test_motion_kind_values_are_the_config_strings() -> None:
    assert [m.value for m in MotionKind] == [
        "push_in",
        "pull_out",
        "pan_left",
        "pan_right",
        "tilt_up",
        "tilt_down",
        "static",
    ]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("src") / "still.png"
    path.write_bytes(encode(pattern_image((640, 360))))
    return path


async def _render(source: Path, out: Path, motion: MotionKind) -> tuple[Image.Image, Image.Image]:
    await render_motion_clip(source, out, motion=motion, duration=1.0, fps=FPS, width=W, height=H)
    info = probe_video(out)
    assert (info.frames, info.width, info.height, info.codec) == (FPS, W, H, "h264")
    assert info.fps == FPS
    frames = read_frames(out)
    assert len(frames) == FPS
    return frames[0], frames[-1]


async def test_push_in_zooms_towards_the_centre(source: Path, tmp_path: Path) -> None:
    first, last = await _render(source, tmp_path / "push.mp4", MotionKind.PUSH_IN)
    zoom = 1 + ZOOM_AMOUNT
    cw, ch = W / zoom, H / zoom
    box = ((W - cw) / 2, (H - ch) / 2, (W + cw) / 2, (H + ch) / 2)
    predicted = first.resize((W, H), Image.Resampling.BICUBIC, box=box)
    assert mean_diff(first, last) > 8
    assert mean_diff(predicted, last) < mean_diff(first, last) / 3


async def test_pull_out_is_the_reverse(source: Path, tmp_path: Path) -> None:
    first, last = await _render(source, tmp_path / "pull.mp4", MotionKind.PULL_OUT)
    zoom = 1 + ZOOM_AMOUNT
    cw, ch = W / zoom, H / zoom
    box = ((W - cw) / 2, (H - ch) / 2, (W + cw) / 2, (H + ch) / 2)
    predicted = last.resize((W, H), Image.Resampling.BICUBIC, box=box)
    assert mean_diff(predicted, first) < mean_diff(first, last) / 3


@pytest.mark.parametrize(
    ("motion", "dx", "dy"),
    [
        (MotionKind.PAN_RIGHT, -1, 0),
        (MotionKind.PAN_LEFT, 1, 0),
        (MotionKind.TILT_UP, 0, 1),
        (MotionKind.TILT_DOWN, 0, -1),
    ],
)
async def test_pans_and_tilts_shift_the_framing(
    source: Path, tmp_path: Path, motion: MotionKind, dx: int, dy: int
) -> None:
    """Content moves opposite to the camera: panning right slides the picture left."""
    first, last = await _render(source, tmp_path / f"{motion}.mp4", motion)
    sx, sy = round(W * (PAN_ZOOM - 1)) * dx, round(H * (PAN_ZOOM - 1)) * dy
    # The region visible in both frames, once in each frame's coordinates.
    in_first = (max(0, -sx), max(0, -sy), W - max(0, sx), H - max(0, sy))
    in_last = (max(0, sx), max(0, sy), W - max(0, -sx), H - max(0, -sy))
    shifted = mean_diff(first.crop(in_first), last.crop(in_last))
    unshifted = mean_diff(first.crop(in_first), last.crop(in_first))
    assert unshifted > 8
    assert shifted < unshifted / 3


async def test_static_keeps_the_frame(source: Path, tmp_path: Path) -> None:
    first, last = await _render(source, tmp_path / "static.mp4", MotionKind.STATIC)
    assert mean_diff(first, last) < 2
    # Cover-crop of a same-aspect source is the source itself, scaled.
    expected = Image.open(source).convert("RGB").resize((W, H), Image.Resampling.BICUBIC)
    assert mean_diff(first, expected) < 10


async def test_any_aspect_is_cover_cropped(tmp_path: Path) -> None:
    """A tall image fills the wide frame: the middle band is shown, not letterboxed."""
    img = Image.new("RGB", (200, 600), (0, 0, 255))
    img.paste((0, 200, 0), (0, 200, 200, 400))
    src = tmp_path / "tall.png"
    src.write_bytes(encode(img))
    first, _ = await _render(src, tmp_path / "tall.mp4", MotionKind.STATIC)
    r, g, b = mean_rgb(first)
    assert g > 150 and r < 40 and b < 40


async def test_alpha_is_flattened_on_white(tmp_path: Path) -> None:
    src = tmp_path / "clear.png"
    src.write_bytes(encode(Image.new("RGBA", (64, 36), (0, 0, 0, 0))))
    first, _ = await _render(src, tmp_path / "clear.mp4", MotionKind.PUSH_IN)
    assert min(mean_rgb(first)) > 240


@pytest.mark.parametrize(("duration", "fps"), [(0.75, 10), (2.0, 7), (0.5, 25)])
async def test_frame_count_is_round_of_duration_times_fps(
    source: Path, tmp_path: Path, duration: float, fps: int
) -> None:
    out = tmp_path / "n.mp4"
    await render_motion_clip(
        source, out, motion=MotionKind.PAN_RIGHT, duration=duration, fps=fps, width=160, height=90
    )
    info = probe_video(out)
    assert info.frames == round(duration * fps)
    assert len(read_frames(out)) == info.frames


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"width": 321}, "even"),
        ({"height": 0}, "height"),
        ({"duration": 0.0}, "duration"),
        ({"duration": 0.01}, "shorter than one frame"),
        ({"fps": 0}, "fps"),
    ],
)
async def test_bad_parameters_are_refused(
    source: Path, tmp_path: Path, kwargs: dict[str, Any], needle: str
) -> None:
    params: dict[str, Any] = {"duration": 1.0, "fps": FPS, "width": W, "height": H} | kwargs
    out = tmp_path / "x.mp4"
    with pytest.raises(InputError, match=needle):
        await render_motion_clip(source, out, motion=MotionKind.STATIC, **params)
    assert not out.exists()


async def test_unknown_motion_is_refused(source: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown motion 'spin'; use one of: push_in"):
        await render_motion_clip(
            source,
            tmp_path / "x.mp4",
            motion="spin",  # type: ignore[arg-type]
            duration=1,
            fps=FPS,
            width=W,
            height=H,
        )


async def test_unreadable_image_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "photo.png"
    bogus.write_text("<html>not an image</html>")
    with pytest.raises(InputError, match=r"photo\.png"):
        await render_motion_clip(
            bogus,
            tmp_path / "x.mp4",
            motion=MotionKind.STATIC,
            duration=1,
            fps=FPS,
            width=W,
            height=H,
        )
    with pytest.raises(InputError, match="cannot read image"):
        await render_motion_clip(
            tmp_path / "missing.png",
            tmp_path / "x.mp4",
            motion=MotionKind.STATIC,
            duration=1,
            fps=FPS,
            width=W,
            height=H,
        )


async def test_failed_render_leaves_old_output_and_no_scraps(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "clip.mp4"
    out.write_bytes(b"previous good file")

    async def half_written(args: list[str], *, what: str) -> None:
        Path(args[-1]).write_bytes(b"\x00" * 100)
        raise MediaError(f"{what} failed: simulated crash")

    monkeypatch.setattr(motion_module, "run_ffmpeg", half_written)
    with pytest.raises(MediaError, match="simulated crash"):
        await render_motion_clip(
            source, out, motion=MotionKind.PUSH_IN, duration=1, fps=FPS, width=W, height=H
        )
    assert out.read_bytes() == b"previous good file"
    assert [p.name for p in out_dir.iterdir()] == ["clip.mp4"]


async def test_render_creates_missing_parent_folders(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "clip.mp4"
    await render_motion_clip(
        source, out, motion=MotionKind.STATIC, duration=0.5, fps=FPS, width=W, height=H
    )
    assert probe_video(out).frames == 6
    assert [p.name for p in out.parent.iterdir()] == ["clip.mp4"]
