"""The tiny test model: its tokenizer knows its words, and it saves as safetensors or pickle."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("diffusers")

from storyreel.testing.tiny_diffusers import _tokenizer, build_tiny_sd


def test_the_tokenizer_keeps_its_words_whole() -> None:
    tokenizer = _tokenizer()
    ids = tokenizer("a red cat on the house")["input_ids"]
    words = tokenizer.convert_ids_to_tokens(ids)
    assert words == ["<|startoftext|>", "a</w>", "red</w>", "cat</w>", "on</w>", "the</w>",
                     "house</w>", "<|endoftext|>"]  # fmt: skip
    assert max(tokenizer("zebra!")["input_ids"]) < len(tokenizer)  # unknown words: characters


def test_it_saves_in_diffusers_format_with_the_weights_asked_for(tmp_path: Path) -> None:
    safe = build_tiny_sd(tmp_path / "safe")
    assert (safe / "model_index.json").is_file()
    assert list(safe.rglob("*.safetensors")) and not list(safe.rglob("*.bin"))
    unsafe = build_tiny_sd(tmp_path / "unsafe", safe_serialization=False)
    # transformers 5 always writes safetensors; diffusers' UNet and VAE honour the choice.
    assert {p.parent.name for p in unsafe.rglob("*.bin")} == {"unet", "vae"}
    assert not list((unsafe / "unet").glob("*.safetensors"))
