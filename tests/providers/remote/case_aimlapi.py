from storyreel.vocabulary import Task

from .cases import ProviderCase

# AIML API has no webhooks; references travel inline as data URIs (no uploads).
CASE = ProviderCase(
    provider="aimlapi",
    image_model="aimlapi:google/nano-banana-pro-edit",
    image_task=Task.REFERENCE_TO_IMAGE,
    video_model="aimlapi:minimax/hailuo-2.3-fast",
    webhooks=False,
    signed_webhooks=False,
    image_fields={"aspect": "4:3"},
    video_fields={"duration": 6},
)
