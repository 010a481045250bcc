"""Which Qwen3 weights exist, what a GGUF file holds, and how to load it (no Qt)."""
