from storyreel.vocabulary import Task

from .cases import ProviderCase

# Kie signs a callback's task id and timestamp, not its body, so a tampered body still
# verifies: the contract checks only the job token, and tests/providers/test_kie.py checks
# the signature (missing, forged, replayed).
CASE = ProviderCase(
    provider="kie",
    image_model="kie:seedream/4.5-edit",
    image_task=Task.REFERENCE_TO_IMAGE,
    video_model="kie:bytedance/seedance-1.5-pro",
    signed_webhooks=False,
    image_fields={"aspect": "4:3"},
    video_fields={"duration": 5},
)
