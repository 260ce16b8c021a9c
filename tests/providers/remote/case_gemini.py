from storyreel.vocabulary import Task

from .cases import ProviderCase

# Nano Banana Pro with an inline reference, and Veo 3.1 Fast from a first frame. The Gemini
# API has no webhooks, so every job completes by polling.
CASE = ProviderCase(
    provider="gemini",
    image_model="gemini:gemini-3-pro-image-preview",
    image_task=Task.REFERENCE_TO_IMAGE,
    video_model="gemini:veo-3.1-fast-generate-preview",
    signed_webhooks=False,
    webhooks=False,
    image_fields={"aspect": "16:9", "resolution": "1K"},
    video_fields={"duration": 4, "aspect": "16:9"},
)
