from storyreel.vocabulary import Task

from .cases import ProviderCase

CASE = ProviderCase(
    provider="fal",
    image_model="fal:fal-ai/flux-2-pro/edit",
    image_task=Task.REFERENCE_TO_IMAGE,
    video_model="fal:fal-ai/kling-video/v2.5-turbo/pro/image-to-video",
    image_fields={"width": 512, "height": 384},
    video_fields={"duration": 5},
)
