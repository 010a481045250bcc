"""The Qwen3 models: what a fit estimate needs before anything is downloaded.

The eight original (hybrid-thinking) sizes, and the 2507 generation: the same
architectures and shapes, a native context of 262,144 tokens, and one mode each
(Instruct-2507 never thinks, Thinking-2507 always does). Numbers from the model
cards and configs (shared/reference/qwen3.md). A downloaded GGUF's own metadata
wins over this table wherever it has the value, and think behaviour is read from
the GGUF's chat template (``app.models.think_mode``), not from these names.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

NATIVE_CTX = 32_768
YARN_MAX_CTX = 131_072
NATIVE_CTX_2507 = 262_144
ORIGINAL = "Qwen3"
GENERATION_2507 = "Qwen3-2507"
# How a model thinks: "hybrid" (the think toggle switches it), "never" (Instruct-2507),
# "always" (Thinking-2507: the template opens <think> itself).
ThinkMode = Literal["hybrid", "never", "always"]


@dataclass(frozen=True)
class CatalogModel:
    """One Qwen3 size and where its GGUFs are published."""

    name: str  # "Qwen3-8B"
    params_b: float  # total parameters, billions
    active_params_b: float  # active per token (MoE); = params_b for dense
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    hidden: int
    ffn: int  # dense FFN width, or each expert's FFN width for MoE
    experts: int = 0  # 0 for dense models
    experts_active: int = 0
    tied_embeddings: bool = False
    native_ctx: int = NATIVE_CTX
    max_ctx: int = YARN_MAX_CTX  # with YaRN, as the model card supports
    vocab: int = 151_936
    generation: str = ORIGINAL
    think: ThinkMode = "hybrid"

    @property
    def official_repo(self) -> str:
        return f"Qwen/{self.name}-GGUF"

    @property
    def alternative_repo(self) -> str:
        """A well-known publisher with many more quantizations."""
        return f"unsloth/{self.name}-GGUF"

    @property
    def is_2507(self) -> bool:
        return self.generation == GENERATION_2507

    @property
    def is_moe(self) -> bool:
        return self.experts > 0

    def kv_bytes_per_token(self, bytes_per_value: float = 2.0) -> float:
        """K and V for every layer: 2 × layers × KV heads × head size × bytes."""
        return 2 * self.layers * self.kv_heads * self.head_dim * bytes_per_value


ORIGINALS: tuple[CatalogModel, ...] = (
    CatalogModel(
        "Qwen3-0.6B", 0.6, 0.6, 28, 16, 8, 128, 1024, 3072, tied_embeddings=True, max_ctx=NATIVE_CTX
    ),
    CatalogModel(
        "Qwen3-1.7B", 1.7, 1.7, 28, 16, 8, 128, 2048, 6144, tied_embeddings=True, max_ctx=NATIVE_CTX
    ),
    CatalogModel("Qwen3-4B", 4.0, 4.0, 36, 32, 8, 128, 2560, 9728, tied_embeddings=True),
    CatalogModel("Qwen3-8B", 8.2, 8.2, 36, 32, 8, 128, 4096, 12288),
    CatalogModel("Qwen3-14B", 14.8, 14.8, 40, 40, 8, 128, 5120, 17408),
    CatalogModel("Qwen3-32B", 32.8, 32.8, 64, 64, 8, 128, 5120, 25600),
    CatalogModel("Qwen3-30B-A3B", 30.5, 3.3, 48, 32, 4, 128, 2048, 768, experts=128, experts_active=8),
    CatalogModel("Qwen3-235B-A22B", 235.0, 22.0, 94, 64, 4, 128, 4096, 1536, experts=128, experts_active=8),
)


def _variant_2507(base: CatalogModel, kind: Literal["Instruct", "Thinking"]) -> CatalogModel:
    """A 2507 model: its base size's shape, 262K native context (no YaRN), one mode."""
    return replace(
        base,
        name=f"{base.name}-{kind}-2507",
        native_ctx=NATIVE_CTX_2507,
        max_ctx=NATIVE_CTX_2507,
        generation=GENERATION_2507,
        think="never" if kind == "Instruct" else "always",
    )


_BASES_2507 = [m for m in ORIGINALS if m.name in ("Qwen3-4B", "Qwen3-30B-A3B", "Qwen3-235B-A22B")]
CATALOG_2507: tuple[CatalogModel, ...] = tuple(
    _variant_2507(m, kind) for m in _BASES_2507 for kind in ("Instruct", "Thinking")
)
CATALOG: tuple[CatalogModel, ...] = ORIGINALS + CATALOG_2507  # originals first, then the newer generation
BY_NAME = {m.name.lower(): m for m in CATALOG}


def find(name: str) -> CatalogModel | None:
    """A catalog model by name, case-insensitively ("qwen3-8b"); None if unknown."""
    return BY_NAME.get(name.strip().lower())
