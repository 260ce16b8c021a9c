from storyreel.vocabulary import Task

from .cases import ProviderCase

# A two-image Seedream 4.5 series from a reference (seed 000's character-consistency
# route): exercises max_images and several outputs per job.
CASE = ProviderCase(
    provider="wavespeed",
    image_model="wavespeed:bytedance/seedream-v4.5/edit-sequential",
    image_task=Task.REFERENCE_TO_IMAGE,
    video_model="wavespeed:bytedance/seedance-v1.5-pro/image-to-video",
    image_fields={"width": 512, "height": 384, "count": 2},
    video_fields={"duration": 5, "resolution": "720p"},
)
