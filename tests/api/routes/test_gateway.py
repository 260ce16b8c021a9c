"""The OpenAI-compatible gateway, driven by the official ``openai`` SDK against the app
served on a loopback port."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import openai
from PIL import Image

from storyreel.api import create_app
from storyreel.api.app import _open_state
from storyreel.engine.webhook_server import BackgroundServer
from storyreel.testing.serve import free_port

from ..conftest import api_settings, png


async def test_openai_sdk_generates_edits_and_lists_models(tmp_path: Path) -> None:
    settings = api_settings(tmp_path)
    async with _open_state(settings) as state:
        port = free_port()
        server = BackgroundServer(
            create_app(settings, state=state), "127.0.0.1", port, lifespan="on"
        )
        await server.start()
        try:
            client = openai.AsyncOpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="unused")
            made = await client.images.generate(
                model="sketch", prompt="a red kite over the sea", size="256x160"
            )
            assert made.data and made.data[0].b64_json
            image = Image.open(io.BytesIO(base64.b64decode(made.data[0].b64_json)))
            assert image.size == (256, 160)
            by_url = await client.images.generate(
                model="sketch", prompt="a red kite", response_format="url"
            )
            assert by_url.data and str(by_url.data[0].url).startswith(
                f"http://127.0.0.1:{port}/api/v1/assets/"
            )
            edited = await client.images.edit(
                model="sketch", image=("hero.png", png(), "image/png"), prompt="the hero, waving"
            )
            assert edited.data and edited.data[0].b64_json
            listed = [m.id async for m in client.models.list()]
            assert "sketch:previz" in listed and "kling" in listed
            try:
                await client.images.generate(model="no-such-model", prompt="x")
            except openai.APIStatusError as exc:
                assert exc.status_code in (404, 422)
            else:
                raise AssertionError("an unknown model must be refused")
            await client.close()
        finally:
            await server.stop()
