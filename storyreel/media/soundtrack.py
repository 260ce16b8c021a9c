"""A story's soundtrack: narration lines placed on the timeline over a music bed that
ducks under the voice.

One ffmpeg run makes the whole track, exactly as long as the video: each narration file is
delayed to its start (``adelay``), the lines are summed, and the music (looped when shorter
than the video) is pressed down by a sidechain compressor keyed on the narration, so the
music drops while someone speaks and comes back in the pauses, without anyone drawing a
volume curve. The result is AAC in an M4A file, ready to be muxed into any render of the
story without re-encoding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from storyreel.errors import InputError
from storyreel.media.audio import AudioInfo, probe_audio
from storyreel.media.encode import scratch_dir_for
from storyreel.media.ffmpeg import run_ffmpeg

RATE = 48_000
_FORMAT = f"aresample={RATE},aformat=sample_fmts=fltp:channel_layouts=stereo"


@dataclass(frozen=True)
class Cue:
    """One narration file, starting ``start`` seconds into the video."""

    start: float
    path: Path


@dataclass(frozen=True)
class Ducking:
    """How far the music drops under the voice. The sidechain compressor's threshold is
    the voice level that starts ducking; ``ratio`` how hard; attack and release (ms) how
    fast it drops and recovers."""

    threshold: float = 0.02
    ratio: float = 8.0
    attack_ms: float = 20.0
    release_ms: float = 400.0


def build_graph(
    cues: Sequence[Cue],
    *,
    duration: float,
    music_input: int | None,
    music_volume: float,
    ducking: Ducking | None,
) -> str:
    """The ``-filter_complex`` graph; inputs are the cues in order, then the music."""
    parts: list[str] = []
    whole = f"apad=whole_dur={duration:.6f},atrim=0:{duration:.6f}"
    for index, cue in enumerate(cues):
        delay = max(0, round(cue.start * 1000))
        parts.append(f"[{index}:a]{_FORMAT},adelay=delays={delay}:all=1[n{index}]")
    if cues:
        inputs = "".join(f"[n{i}]" for i in range(len(cues)))
        parts.append(f"{inputs}amix=inputs={len(cues)}:normalize=0:duration=longest,{whole}[voice]")
    else:
        parts.append(f"anullsrc=r={RATE}:cl=stereo,{whole}[voice]")
    if music_input is None:
        parts.append("[voice]anull[aout]")
        return ";".join(parts)
    parts.append(f"[{music_input}:a]{_FORMAT},volume={music_volume:.4f},{whole}[bed]")
    if ducking is None or not cues:
        parts.append("[bed][voice]amix=inputs=2:normalize=0:duration=first[aout]")
        return ";".join(parts)
    parts.append("[voice]asplit=2[speak][key]")
    parts.append(
        f"[bed][key]sidechaincompress=threshold={ducking.threshold}:ratio={ducking.ratio}"
        f":attack={ducking.attack_ms}:release={ducking.release_ms}[ducked]"
    )
    parts.append("[ducked][speak]amix=inputs=2:normalize=0:duration=first[aout]")
    return ";".join(parts)


async def mix_soundtrack(
    cues: Sequence[Cue],
    out: Path,
    *,
    duration: float,
    music: Path | None = None,
    music_volume: float = 0.35,
    ducking: Ducking | None = Ducking(),
) -> AudioInfo:
    """Write the ``duration``-second track to ``out`` (M4A) and return what it holds."""
    if duration <= 0:
        raise InputError(f"a soundtrack needs a positive duration, got {duration}")
    if not 0 <= music_volume <= 4:
        raise InputError(f"music volume must be from 0 to 4, got {music_volume}")
    for cue in cues:
        if cue.start < 0 or not cue.path.is_file():
            raise InputError(f"narration cue {cue.path.name} at {cue.start:.2f} s is unusable")
    if music is not None and not music.is_file():
        raise InputError(f"music file {music} does not exist")
    inputs = [arg for cue in cues for arg in ("-i", str(cue.path))]
    if music is not None:
        inputs += ["-stream_loop", "-1", "-i", str(music)]
    graph = build_graph(
        cues,
        duration=duration,
        music_input=len(cues) if music is not None else None,
        music_volume=music_volume,
        ducking=ducking,
    )
    with scratch_dir_for(out) as scratch:
        partial = scratch / "track.m4a"
        await run_ffmpeg(
            [
                *inputs,
                *("-filter_complex", graph, "-map", "[aout]"),
                *("-c:a", "aac", "-b:a", "160k", "-ar", str(RATE), "-vn", "-f", "ipod"),
                str(partial),
            ],
            what=f"mixing the soundtrack {out.name}",
        )
        info = probe_audio(partial)
        partial.replace(out)
    return info
