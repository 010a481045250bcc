"""Running a model: the engine worker process, chat templates, streaming (no Qt)."""
