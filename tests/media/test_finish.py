from __future__ import annotations

from pathlib import Path

import av
import pytest
from PIL import Image

from storyreel.media.audio import probe_audio
from storyreel.media.captions import caption_image
from storyreel.media.finish import finish_video
from storyreel.media.scratch_voice import fake_speech
from storyreel.media.soundtrack import Cue, mix_soundtrack
from storyreel.media.subtitles import Caption
from tests.media.helpers import color_clip, frame_image, mean_rgb


@pytest.fixture
async def clip(tmp_path: Path) -> Path:
    return await color_clip(tmp_path / "v.mp4", "0x2040C0", size=(320, 180), fps=12, frames=36)


@pytest.fixture
async def track(tmp_path: Path) -> Path:
    (tmp_path / "n.mp3").write_bytes(fake_speech("The storm breaks."))
    out = tmp_path / "a.m4a"
    await mix_soundtrack([Cue(0.5, tmp_path / "n.mp3")], out, duration=3.0)
    return out


def _frame(path: Path, index: int) -> Image.Image:
    with av.open(str(path)) as container:
        for number, frame in enumerate(container.decode(video=0)):
            if number == index:
                return frame_image(frame)
    raise AssertionError("frame not found")


@pytest.mark.parametrize("size", [(320, 180), (180, 320), (180, 180)])
async def test_renders_each_aspect_with_the_sound_and_every_frame(
    tmp_path: Path, clip: Path, track: Path, size: tuple[int, int]
) -> None:
    out = tmp_path / f"out-{size[0]}x{size[1]}.mp4"
    info = await finish_video(clip, out, size=size, audio=track)
    assert (info.width, info.height) == size
    assert info.frames == 36
    assert probe_audio(out).duration == pytest.approx(3.0, abs=0.05)
    # Cropped to fill, never letterboxed: the corner is the clip's colour, not black.
    r, _g, b = mean_rgb(_frame(out, 5).crop((0, 0, 8, 8)))
    assert b > 150 and r < 90


async def test_captions_show_only_while_spoken(tmp_path: Path, clip: Path) -> None:
    out = tmp_path / "captioned.mp4"
    await finish_video(clip, out, captions=[Caption(1.0, 2.0, "The storm breaks")])
    band = (60, 146, 260, 163)
    before = mean_rgb(_frame(out, 6).crop(band))
    during = mean_rgb(_frame(out, 18).crop(band))
    after = mean_rgb(_frame(out, 30).crop(band))
    assert before == pytest.approx(after, abs=3)
    # The dark band with white text is over the picture while the line is spoken.
    assert sum(abs(a - b) for a, b in zip(during, before, strict=True)) > 40


def test_caption_image_is_the_frame_size_and_transparent_above_the_band() -> None:
    import io

    image = Image.open(io.BytesIO(caption_image("Hello — world " * 20, 640, 360)))
    assert image.size == (640, 360) and image.mode == "RGBA"
    assert image.getpixel((320, 10))[3] == 0
    assert image.getpixel((320, 320))[3] > 0
