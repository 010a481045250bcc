"""What each kind of OpenAI-compatible server accepts beyond the OpenAI basics.

The OpenAI API knows ``temperature`` and ``top_p`` only; Qwen's recommended sampling also needs
``top_k``, ``min_p`` and ``presence_penalty``, and its thinking switch is a chat-template argument.
Servers differ in what they take (checked against their sources and documentation):

- vLLM and SGLang: all sampling extras, ``chat_template_kwargs`` (Qwen's documented way to switch
  thinking off), ``stream_options.include_usage``.
- llama.cpp's llama-server: all sampling extras; ``chat_template_kwargs`` per request (with ``--jinja``).
- Ollama's ``/v1`` endpoint: ``seed`` and ``presence_penalty`` but not ``top_k``/``min_p`` (ignored),
  and no ``chat_template_kwargs``: thinking is switched with ``reasoning_effort`` ("none" = off;
  ollama/ollama openai/openai.go, documented in docs/api/openai-compatibility.mdx, PR #14821).
- Anything else ("custom"): everything is sent; a server that refuses the extras with a 400 gets the
  request again without them (``RemoteEngine`` remembers that and says so).
"""

from __future__ import annotations

from dataclasses import dataclass

SAMPLING_EXTRAS = ("top_k", "min_p", "presence_penalty", "seed")

# How thinking is switched on the server.
THINK_TEMPLATE_KWARGS = "chat_template_kwargs"  # {"chat_template_kwargs": {"enable_thinking": …}}
THINK_REASONING_EFFORT = "reasoning_effort"  # Ollama: "none" switches thinking off


@dataclass(frozen=True)
class ServerPreset:
    name: str
    label: str
    default_base_url: str
    think_switch: str
    sampling_extras: tuple[str, ...]

    @property
    def accepts_chat_template_kwargs(self) -> bool:
        return self.think_switch == THINK_TEMPLATE_KWARGS


PRESETS: dict[str, ServerPreset] = {
    p.name: p
    for p in (
        ServerPreset("vllm", "vLLM", "http://localhost:8000/v1", THINK_TEMPLATE_KWARGS, SAMPLING_EXTRAS),
        ServerPreset("sglang", "SGLang", "http://localhost:30000/v1", THINK_TEMPLATE_KWARGS, SAMPLING_EXTRAS),
        ServerPreset(
            "llama-server",
            "llama.cpp (llama-server)",
            "http://localhost:8080/v1",
            THINK_TEMPLATE_KWARGS,
            SAMPLING_EXTRAS,
        ),
        ServerPreset(
            "ollama",
            "Ollama",
            "http://localhost:11434/v1",
            THINK_REASONING_EFFORT,
            ("presence_penalty", "seed"),
        ),
        ServerPreset(
            "custom",
            "Other OpenAI-compatible server",
            "http://localhost:8000/v1",
            THINK_TEMPLATE_KWARGS,
            SAMPLING_EXTRAS,
        ),
    )
}
DEFAULT_PRESET = "custom"


def get_preset(name: str | None) -> ServerPreset:
    """The preset called ``name``; unknown or missing names are "custom" (send everything, adapt)."""
    return PRESETS.get(name or DEFAULT_PRESET, PRESETS[DEFAULT_PRESET])
