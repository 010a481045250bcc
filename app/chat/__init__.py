"""What a conversation turn is made of, without Qt: the window and the CLI both build turns here.

- :mod:`app.chat.turn_request`: the history as sent (answers only, never reasoning), the last
  question's documents, Qwen's sampling keys, the request itself.
- :mod:`app.chat.longer_context`: the context (and YaRN factor, KV cache) that would hold a
  conversation that no longer fits.
- :mod:`app.chat.titles`: a conversation's title, from its first question and then the model.
"""
