from storyreel.vocabulary import Task

from .cases import ProviderCase

# GPT Image edits (one multipart image[] per reference) and Sora image-to-video. OpenAI
# sends no webhooks for these endpoints, so every job completes by polling.
CASE = ProviderCase(
    provider="openai",
    image_model="openai:gpt-image-1.5",
    image_task=Task.REFERENCE_TO_IMAGE,
    video_model="openai:sora-2",
    signed_webhooks=False,
    webhooks=False,
    image_fields={"width": 1536, "height": 1024, "extra": {"quality": "low"}},
    video_fields={"duration": 4, "aspect": "16:9"},
)
