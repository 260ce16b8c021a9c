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


def build_tiny_ip_adapter(
    folder: Path, *, cross_attention_dim: int = 16, block_out_channels: tuple[int, ...] = (8, 16)
) -> Path:
    """Write a random-weight IP-Adapter for ``build_tiny_sd``'s UNet into ``folder`` in the
    layout of ``h94/IP-Adapter``: ``models/ip-adapter.safetensors`` (``image_proj.*`` and
    ``ip_adapter.*`` keys) and a tiny CLIP image encoder in ``models/image_encoder``. Built
    the way diffusers' tests build theirs (``create_ip_adapter_state_dict``): one key/value
    pair per cross-attention layer, numbered 1, 3, 5... as the original checkpoints are."""
    import diffusers
    import torch
    from safetensors.torch import save_file
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    lib: Any = diffusers
    torch.manual_seed(1)
    models = folder / "models"
    models.mkdir(parents=True, exist_ok=True)
    unet = lib.UNet2DConditionModel(
        block_out_channels=block_out_channels,
        layers_per_block=1,
        sample_size=64,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=cross_attention_dim,
        attention_head_dim=4,
        norm_num_groups=4,
    )
    tensors: dict[str, Any] = {}
    cross = [name for name in unet.attn_processors if not name.endswith("attn1.processor")]
    for index, name in enumerate(cross):  # self-attention (attn1) takes no image tokens
        hidden = _hidden_size(name, block_out_channels)
        for proj in ("to_k_ip", "to_v_ip"):
            weight = torch.randn(hidden, cross_attention_dim) * 0.5
            tensors[f"ip_adapter.{2 * index + 1}.{proj}.weight"] = weight
    tokens = 4  # ImageProjection's image tokens, which diffusers assumes for "proj.weight"
    tensors["image_proj.proj.weight"] = torch.randn(
        tokens * cross_attention_dim, cross_attention_dim
    )
    tensors["image_proj.proj.bias"] = torch.zeros(tokens * cross_attention_dim)
    tensors["image_proj.norm.weight"] = torch.ones(cross_attention_dim)
    tensors["image_proj.norm.bias"] = torch.zeros(cross_attention_dim)
    save_file({k: v.contiguous() for k, v in tensors.items()}, models / "ip-adapter.safetensors")
    encoder = CLIPVisionModelWithProjection(
        CLIPVisionConfig(
            hidden_size=16,
            projection_dim=cross_attention_dim,
            num_hidden_layers=2,
            num_attention_heads=2,
            image_size=32,
            intermediate_size=32,
            patch_size=8,
        )
    )
    encoder.save_pretrained(models / "image_encoder")
    return folder


def _hidden_size(processor: str, block_out_channels: tuple[int, ...]) -> int:
    """The channel count of the UNet block an attention processor sits in."""
    if processor.startswith("mid_block"):
        return block_out_channels[-1]
    block = int(processor.split(".")[1])
    if processor.startswith("up_blocks"):
        return list(reversed(block_out_channels))[block]
    return block_out_channels[block]
