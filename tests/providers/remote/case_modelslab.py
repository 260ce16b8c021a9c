from storyreel.vocabulary import Task

from .cases import ProviderCase

# ModelsLab signs no webhooks: only the job token guards them, and they only wake the job.
CASE = ProviderCase(
    provider="modelslab",
    image_model="modelslab:realistic-vision",
    image_task=Task.IMAGE_TO_IMAGE,
    video_model="modelslab:seedance-1.5-pro",
    signed_webhooks=False,
    image_fields={"width": 512, "height": 384},
    video_fields={"duration": 4},
)
