"""What the story page shows of a finished run, read from its ``manifest.json``: the
exports as labelled download links, the character sheets drawn (or references used),
and the video's captions (WebVTT: each shot's narration, else its action, over the
shot's time in the assembled video)."""

from __future__ import annotations

from typing import Any


def export_links(manifest: dict[str, Any], base: str) -> list[dict[str, str]]:
    """The exports, most wanted first: the MP4, the storyboard PDF, the webtoon strip's
    parts, the contact sheet, subtitles, the manifest."""
    links = [("Video (MP4)", manifest["video"]["file"])]
    if manifest.get("storyboard_pdf"):
        links.append(("Storyboard (PDF)", manifest["storyboard_pdf"]["file"]))
    parts = manifest.get("webtoon") or []
    for number, part in enumerate(parts, 1):
        links.append((f"Webtoon strip, part {number} of {len(parts)}", part["file"]))
    links.append(("Contact sheet (PNG)", manifest["contact_sheet"]["file"]))
    if manifest.get("subtitles"):
        links.append(("Subtitles", manifest["subtitles"]["file"]))
    links.append(("Manifest (JSON)", "manifest.json"))
    return [{"label": label, "file": file, "url": f"{base}/{file}"} for label, file in links]


def sheets(manifest: dict[str, Any], base: str) -> list[dict[str, str]]:
    """Each character's sheet (or reference) as the run used it."""
    return [
        {"name": c["name"], "source": c["source"], "url": f"{base}/{c['file']}"}
        for c in manifest.get("characters") or []
    ]


def _stamp(seconds: float) -> str:
    millis = round(max(seconds, 0.0) * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def _cue_text(text: str) -> str:
    """A cue's text on one line, with nothing WebVTT would read as markup or a cue end."""
    flat = " ".join(text.split()).replace("-->", "→")
    return flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def captions(manifest: dict[str, Any]) -> str:
    """WebVTT cues for the shots, spread over the video's real duration (transitions
    overlap the shots, so the planned durations are scaled to fit)."""
    shots = manifest.get("shots") or []
    planned = sum(float(s.get("duration") or 0) for s in shots) or 1.0
    scale = float(manifest["video"].get("duration") or planned) / planned
    lines = ["WEBVTT", ""]
    start = 0.0
    for shot in shots:
        end = start + float(shot.get("duration") or 0) * scale
        text = _cue_text(shot.get("narration") or shot.get("action") or "")
        if text:
            lines += [str(shot["number"]), f"{_stamp(start)} --> {_stamp(end)}", text, ""]
        start = end
    return "\n".join(lines)
