"""Remote engines: an OpenAI-compatible server (vLLM, SGLang, llama-server, Ollama, …) answers instead of
the local llama.cpp worker.

No Qt here. ``RemoteEngine`` streams the same events as the local engine; ``endpoints`` keeps the
user's servers (never a key), ``keys`` keeps their API keys in the system keyring.
"""
