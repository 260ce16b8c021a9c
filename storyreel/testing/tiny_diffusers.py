"""A tiny random-weight Stable Diffusion model, built on the spot (no hub, no download).

The way diffusers' own tests build theirs: a 2-block UNet, a 1-block VAE, a 2-layer CLIP
text encoder and a CLIP tokenizer over a vocabulary written here. Saved in diffusers'
folder format, it loads through the ``local`` provider's real loading code in a second, and
renders a 64x64 image on the CPU in a fraction of one. Tests and ``bench/local_overhead.py``
use it. Needs the ``local`` extra.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

_WORDS = ["a", "cat", "dog", "red", "blue", "house", "tree", "sky", "on", "the", "in"]


def _tokenizer() -> Any:
    """A byte-level BPE CLIP tokenizer over a few words: every single character of
    printable ASCII, each word whole (with CLIP's ``</w>`` end-of-word marker)."""
    from transformers import CLIPTokenizer

    chars = [chr(c) for c in range(33, 127)]
    vocab_list = ["<|startoftext|>", "<|endoftext|>", *chars, *[f"{c}</w>" for c in chars]]
    merges = []
    for word in _WORDS:
        parts = [*word[:-1], f"{word[-1]}</w>"]
        while len(parts) > 1:
            merges.append(f"{parts[0]} {parts[1]}")
            parts = [parts[0] + parts[1], *parts[2:]]
            if parts[0] not in vocab_list:
                vocab_list.append(parts[0])
    vocab = {token: i for i, token in enumerate(dict.fromkeys(vocab_list))}
    # transformers 5 takes the vocabulary and merges as data (4.x took file paths); its
    # merges are pairs, though its annotation says strings.
    pairs: Any = [tuple(m.split(" ")) for m in dict.fromkeys(merges)]
    return CLIPTokenizer(vocab=vocab, merges=pairs, model_max_length=77)


def build_tiny_sd(folder: Path, *, safe_serialization: bool = True, seed: int = 0) -> Path:
    """Write a tiny Stable Diffusion pipeline into ``folder`` and return it. With
    ``safe_serialization=False`` the UNet and VAE weights are pickle ``.bin`` files (the
    refusal test; transformers 5 writes the text encoder as safetensors regardless)."""
    import diffusers
    import torch
    from transformers import CLIPTextConfig, CLIPTextModel

    # Any: diffusers is untyped (and absent where the extra is not installed).
    lib: Any = diffusers

    torch.manual_seed(seed)
    tokenizer = _tokenizer()
    unet = lib.UNet2DConditionModel(
        block_out_channels=(8, 16),
        layers_per_block=1,
        sample_size=64,  # native size 64x64 (the one-block VAE does not downscale)
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=16,
        attention_head_dim=4,
        norm_num_groups=4,
    )
    vae = lib.AutoencoderKL(
        block_out_channels=(8,),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",),
        up_block_types=("UpDecoderBlock2D",),
        latent_channels=4,
        norm_num_groups=4,
        sample_size=32,
    )
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            bos_token_id=0,
            eos_token_id=1,
            hidden_size=16,
            intermediate_size=32,
            layer_norm_eps=1e-05,
            num_attention_heads=2,
            num_hidden_layers=2,
            pad_token_id=1,
            vocab_size=len(tokenizer),
            projection_dim=16,
        )
    )
    scheduler = lib.DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )
    pipe = lib.StableDiffusionPipeline(
        unet=unet,
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(folder, safe_serialization=safe_serialization)
    return folder


def build_tiny_svd(folder: Path, *, seed: int = 0) -> Path:
    """Write a tiny Stable Video Diffusion pipeline (image-to-video) into ``folder``, with
    the component sizes diffusers' own SVD tests use; native size 64x64."""
    import diffusers
    import torch
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    lib: Any = diffusers
    torch.manual_seed(seed)
    unet = lib.UNetSpatioTemporalConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=32,
        in_channels=8,
        out_channels=4,
        down_block_types=("CrossAttnDownBlockSpatioTemporal", "DownBlockSpatioTemporal"),
        up_block_types=("UpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal"),
        cross_attention_dim=32,
        num_attention_heads=8,
        projection_class_embeddings_input_dim=96,
        addition_time_embed_dim=32,
    )
    scheduler = lib.EulerDiscreteScheduler(
        beta_schedule="scaled_linear",
        beta_start=0.00085,
        beta_end=0.012,
        interpolation_type="linear",
        num_train_timesteps=1000,
        prediction_type="v_prediction",
        sigma_max=700.0,
        sigma_min=0.002,
        steps_offset=1,
        timestep_spacing="leading",
        timestep_type="continuous",
        use_karras_sigmas=True,
    )
    vae = lib.AutoencoderKLTemporalDecoder(
        block_out_channels=[32, 64],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        latent_channels=4,
    )
    image_encoder = CLIPVisionModelWithProjection(
        CLIPVisionConfig(
            hidden_size=32,
            projection_dim=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            image_size=224,  # the pipeline resizes the image to 224 for its encoder
            intermediate_size=37,
            patch_size=28,
        )
    )
    feature_extractor = CLIPImageProcessor(crop_size=32, size=32)
    pipe = lib.StableVideoDiffusionPipeline(
        unet=unet,
        image_encoder=image_encoder,
        scheduler=scheduler,
        vae=vae,
        feature_extractor=feature_extractor,
    )
    pipe.save_pretrained(folder)
    return folder
