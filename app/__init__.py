"""QwenDesk: a local, private desktop chat app for the Qwen3 model family."""

__version__ = "0.1.0"
