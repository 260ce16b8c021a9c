from storyreel.vocabulary import Task

from .cases import ProviderCase

CASE = ProviderCase(
    provider="replicate",
    image_model="replicate:black-forest-labs/flux-dev",
    image_task=Task.IMAGE_TO_IMAGE,
    video_model="replicate:minimax/hailuo-2.3-fast",
    image_fields={"width": 512, "height": 384, "steps": 28},
    video_fields={"duration": 6},
)
