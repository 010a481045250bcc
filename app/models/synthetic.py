"""Tiny Qwen3-architecture GGUFs made on the spot, for tests, smoke tests and benchmarks.

No real Qwen3 weights can be fetched everywhere QwenDesk is built, so the tests
run real llama.cpp on models written here with the ``gguf`` package: a
byte-level BPE vocabulary (GPT-2 byte mapping, ``qwen2`` pre-tokenizer), the
Qwen3 special tokens and a chat template.

Scripted models answer deterministically, even with temperature sampling:
every weight in the transformer blocks is zero, so the residual stream is the
token's embedding; embeddings are one-hot, and the output matrix has one large
entry per column, so each token has exactly one likely successor. A script is a
chain of distinct tokens: ``\\n`` → ``<think>`` → reasoning → ``</think>`` →
``\\n\\n`` → answer → ``<|im_end|>``. A prompt ending in ``assistant\\n`` (thinking)
or in ``</think>\\n\\n`` (non-thinking) therefore yields the scripted turn.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>")
# Added tokens that print as text (USER_DEFINED), as in Qwen3's vocabulary.
TOOL_TOKENS = ("<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>")
# A call as Qwen3 writes it, in pieces of its own (each ≤ 32 bytes: llama-cpp-python's detokenize
# buffer per token): <tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>
WEATHER_CALL = (
    "<tool_call>",
    '\n{"name": "get_weather", ',
    '"arguments": {"city": ',
    '"Paris"}}\n',
    "</tool_call>",
)
# Tags spelled as ordinary text tokens, for vocabularies without think tokens.
TEXT_OPEN_TAG = ("<thi", "nk>")
TEXT_CLOSE_TAG = ("</", "th", "ink", ">")

# A chat template written for QwenDesk's tests: ChatML + the think switch.
TEST_CHAT_TEMPLATE = """\
{%- for message in messages %}
{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}
{%- endfor %}
{%- if add_generation_prompt %}
{{- '<|im_start|>assistant\\n' }}
{%- if enable_thinking is defined and enable_thinking is false %}
{{- '<think>\\n\\n</think>\\n\\n' }}
{%- endif %}
{%- endif %}"""

# The 2507 generation's templates, as far as thinking goes: Instruct-2507 ignores
# enable_thinking (it never thinks); Thinking-2507 opens the think block itself.
INSTRUCT_2507_TEMPLATE = """\
{%- for message in messages %}
{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}
{%- endfor %}
{%- if add_generation_prompt %}
{{- '<|im_start|>assistant\\n' }}
{%- endif %}"""
THINKING_2507_TEMPLATE = """\
{%- for message in messages %}
{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}
{%- endfor %}
{%- if add_generation_prompt %}
{{- '<|im_start|>assistant\\n<think>\\n' }}
{%- endif %}"""


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte → printable character map (used by Qwen's BPE)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    chars = printable[:]
    n = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(printable, chars)}


BYTE_CHARS = _bytes_to_unicode()


def bpe_text(text: str) -> str:
    """How ``text`` is spelled in a byte-level BPE vocabulary."""
    return "".join(BYTE_CHARS[b] for b in text.encode("utf-8"))


@dataclass(frozen=True)
class Script:
    """What a scripted model says; every piece must be a distinct token."""

    reasoning: tuple[str, ...] = ("The", " user", " greets", " me", ".")
    answer: tuple[str, ...] = ("Hello", "!", " How", " can", " I", " help", "?")
    loop_reasoning: bool = False  # never close the think block
    think_tokens: bool = True  # False: tags are plain text split over several tokens
    extra_words: tuple[str, ...] = field(default=())
    # "hybrid": opens <think> itself; "always": the prompt opened it (Thinking-2507), so the
    # reply starts in the reasoning; "never": answers at once (Instruct-2507).
    mode: str = "hybrid"
    # Pieces written after ``answer`` (a tool call such as WEATHER_CALL); "<tool_call>" and the other
    # tool tags are the vocabulary's single added tokens.
    tool_call: tuple[str, ...] = ()


class _Vocab:
    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.types: list[int] = []
        self.ids: dict[str, int] = {}

    def add(self, spelled: str, ttype: int = 1) -> int:
        if spelled not in self.ids:
            self.ids[spelled] = len(self.tokens)
            self.tokens.append(spelled)
            self.types.append(ttype)
        return self.ids[spelled]

    def word(self, text: str) -> int:
        return self.add(bpe_text(text))


def _base_vocab(extra: tuple[str, ...] = ()) -> _Vocab:
    v = _Vocab()
    for b in range(256):
        v.add(BYTE_CHARS[b])
    v.add(bpe_text("\n\n"))  # via the merge below: ends a no-think generation prompt
    for w in extra:
        v.word(w)
    for s in SPECIAL_TOKENS:
        v.add(s, 4 if s in ("<think>", "</think>") else 3)  # USER_DEFINED / CONTROL, as Qwen3's
    for s in TOOL_TOKENS:
        v.add(s, 4)
    return v


def _write(
    path: Path,
    vocab: _Vocab,
    tensors: dict[str, np.ndarray],
    *,
    n_layers: int,
    n_embd: int,
    n_ff: int,
    n_head: int,
    n_kv: int,
    head_dim: int,
    context_length: int,
    name: str,
    size_label: str | None,
    chat_template: str | None,
    file_type: int,
    quant: str | None = None,
    rope_freq_base: float = 1_000_000.0,
    yarn: tuple[float, int] | None = None,
    split_parts: int = 1,
) -> Path:
    import gguf

    if split_parts > 1:
        # gguf's writer splits by tensor count; the metadata goes in the first part.
        per_part = -(-len(tensors) // split_parts)
        w = gguf.GGUFWriter(str(path), "qwen3", split_max_tensors=per_part)
    else:
        w = gguf.GGUFWriter(str(path), "qwen3")
    w.add_name(name)
    if size_label:
        w.add_size_label(size_label)
    w.add_block_count(n_layers)
    w.add_context_length(context_length)
    w.add_embedding_length(n_embd)
    w.add_feed_forward_length(n_ff)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_kv)
    w.add_key_length(head_dim)
    w.add_value_length(head_dim)
    w.add_rope_freq_base(rope_freq_base)
    if yarn is not None:
        w.add_rope_scaling_type(gguf.RopeScalingType.YARN)
        w.add_rope_scaling_factor(yarn[0])
        w.add_rope_scaling_orig_ctx_len(yarn[1])
    w.add_layer_norm_rms_eps(1e-6)
    w.add_file_type(file_type)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("qwen2")
    w.add_token_list(vocab.tokens)
    w.add_token_types(vocab.types)
    w.add_token_merges([f"{BYTE_CHARS[10]} {BYTE_CHARS[10]}"])
    w.add_eos_token_id(vocab.ids["<|im_end|>"])
    w.add_pad_token_id(vocab.ids["<|endoftext|>"])
    w.add_bos_token_id(vocab.ids["<|endoftext|>"])
    w.add_add_bos_token(False)
    if chat_template is not None:
        w.add_chat_template(chat_template)
    for tname, arr in tensors.items():
        if quant is not None and arr.ndim == 2:
            qtype = gguf.GGMLQuantizationType[quant.upper()]
            w.add_tensor(tname, gguf.quants.quantize(arr.astype(np.float32), qtype), raw_dtype=qtype)
        else:
            w.add_tensor(tname, arr)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    if split_parts > 1:
        first = path.with_name(f"{path.stem}-00001-of-{split_parts:05d}.gguf")
        if not first.is_file():
            raise ValueError(f"gguf wrote another number of parts than {split_parts} for {path}")
        return first
    return path


def _block_tensors(
    n_layers: int, n_embd: int, n_ff: int, n_head: int, n_kv: int, head_dim: int, make
) -> dict:
    t: dict[str, np.ndarray] = {}
    for i in range(n_layers):
        p = f"blk.{i}."
        t[p + "attn_norm.weight"] = np.ones(n_embd, np.float32)
        t[p + "attn_q.weight"] = make((n_head * head_dim, n_embd))
        t[p + "attn_k.weight"] = make((n_kv * head_dim, n_embd))
        t[p + "attn_v.weight"] = make((n_kv * head_dim, n_embd))
        t[p + "attn_output.weight"] = make((n_embd, n_head * head_dim))
        t[p + "attn_q_norm.weight"] = np.ones(head_dim, np.float32)
        t[p + "attn_k_norm.weight"] = np.ones(head_dim, np.float32)
        t[p + "ffn_norm.weight"] = np.ones(n_embd, np.float32)
        t[p + "ffn_gate.weight"] = make((n_ff, n_embd))
        t[p + "ffn_up.weight"] = make((n_ff, n_embd))
        t[p + "ffn_down.weight"] = make((n_embd, n_ff))
    return t


def script_tokens(script: Script) -> list[str]:
    """The scripted reply as token texts, first to last (for tests)."""
    open_tag = ["<think>"] if script.think_tokens else list(TEXT_OPEN_TAG)
    close_tag = ["</think>"] if script.think_tokens else list(TEXT_CLOSE_TAG)
    answer = [*script.answer, *script.tool_call]
    if script.mode == "never":
        return answer
    if script.mode == "always":
        return [*script.reasoning, *close_tag, "\n\n", *answer]
    return [*open_tag, *script.reasoning, *close_tag, "\n\n", *answer]


def write_scripted_gguf(
    path: str | Path,
    script: Script = Script(),
    *,
    chat_template: str | None = TEST_CHAT_TEMPLATE,
    name: str = "Qwen3 scripted test model",
    size_label: str | None = "4B",
    context_length: int = 40_960,
    n_layers: int = 2,
    quant: str | None = None,
    rope_freq_base: float = 1_000_000.0,
    yarn: tuple[float, int] | None = None,
    split_parts: int = 1,
) -> Path:
    """Write a deterministic Qwen3-architecture GGUF that answers with ``script``.

    ``quant`` ("q8_0" or "q4_0") quantizes the matrices, as real downloads are;
    the one-hot values survive quantization, so the script still plays. ``yarn``
    (factor, original context) writes YaRN rope-scaling metadata, as "128K" GGUFs
    carry; ``split_parts`` > 1 writes ``<stem>-0000i-of-0000N.gguf`` parts (as the
    Hub's 235B files are) and returns the first.
    """
    path = Path(path)
    words = [
        w
        for w in (*script.reasoning, *script.answer, *script.tool_call, *script.extra_words)
        if w not in TOOL_TOKENS
    ]
    if not script.think_tokens:
        words += list(TEXT_OPEN_TAG) + list(TEXT_CLOSE_TAG)
    vocab = _base_vocab(tuple(words))
    chain_text = script_tokens(script)
    chain = [vocab.ids[t] if t in SPECIAL_TOKENS + TOOL_TOKENS else vocab.word(t) for t in chain_text]
    if len(set(chain)) != len(chain):
        raise ValueError("every token of a script must be distinct (the model only sees the last token)")
    newline = vocab.word("\n")
    if newline in chain:
        raise ValueError("a script may not contain a lone newline token")
    im_end = vocab.ids["<|im_end|>"]
    successor = {newline: chain[0]}
    for a, b in itertools.pairwise(chain):
        successor[a] = b
    successor[chain[-1]] = im_end
    if script.loop_reasoning:
        first = 0 if script.mode == "always" else 1 if script.think_tokens else len(TEXT_OPEN_TAG)
        last = first + len(script.reasoning) - 1
        successor[chain[last]] = chain[first]

    n_vocab = len(vocab.tokens)
    n_embd = -(-n_vocab // 64) * 64
    n_head, n_kv, head_dim, n_ff = 4, 2, 32, 64
    embd = np.zeros((n_vocab, n_embd), np.float32)
    embd[np.arange(n_vocab), np.arange(n_vocab)] = 1.0
    out = np.zeros((n_vocab, n_embd), np.float32)
    for tok in range(n_vocab):
        out[successor.get(tok, im_end), tok] = 2.0  # logit ≈ 2·√n_embd ≈ 40 after RMS norm

    tensors = {
        "token_embd.weight": embd,
        "output_norm.weight": np.ones(n_embd, np.float32),
        "output.weight": out,
    }
    tensors |= _block_tensors(
        n_layers, n_embd, n_ff, n_head, n_kv, head_dim, lambda shape: np.zeros(shape, np.float32)
    )
    return _write(
        path,
        vocab,
        tensors,
        n_layers=n_layers,
        n_embd=n_embd,
        n_ff=n_ff,
        n_head=n_head,
        n_kv=n_kv,
        head_dim=head_dim,
        context_length=context_length,
        name=name,
        size_label=size_label,
        chat_template=chat_template,
        file_type={None: 0, "q8_0": 7, "q4_0": 2}[quant],  # ALL_F32, MOSTLY_Q8_0, MOSTLY_Q4_0
        quant=quant,
        rope_freq_base=rope_freq_base,
        yarn=yarn,
        split_parts=split_parts,
    )


def write_2507_gguf(path: str | Path, kind: str = "Instruct", **kwargs: object) -> Path:
    """A scripted Qwen3-4B-{Instruct,Thinking}-2507 lookalike: 262,144-token context, rope base
    5,000,000, and the matching template and behaviour (never / always thinks)."""
    if kind not in ("Instruct", "Thinking"):
        raise ValueError(f"kind is Instruct or Thinking, not {kind!r}")
    script = Script(mode="never" if kind == "Instruct" else "always")
    template = INSTRUCT_2507_TEMPLATE if kind == "Instruct" else THINKING_2507_TEMPLATE
    options: dict = {
        "chat_template": template,
        "name": f"Qwen3-4B-{kind}-2507",
        "context_length": 262_144,
        "rope_freq_base": 5_000_000.0,
    }
    options.update(kwargs)
    return write_scripted_gguf(path, script, **options)


def write_benchmark_gguf(
    path: str | Path,
    *,
    n_layers: int = 28,
    n_embd: int = 1024,
    n_ff: int = 3072,
    n_words: int = 4000,
    seed: int = 0,
    context_length: int = 40_960,
    yarn: tuple[float, int] | None = None,
) -> Path:
    """A random F16 model of realistic shape (Qwen3-0.6B-like) that writes printable ASCII.

    Random byte-level models emit partial UTF-8 that llama-cpp-python holds back,
    which would make streaming arrive in bursts; here only ASCII word tokens get
    non-zero output rows, so top-k sampling only ever picks them.
    """
    path = Path(path)
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < n_words:
        w = ("" if len(words) % 3 == 0 else " ") + "".join(rng.choice(letters, rng.integers(2, 8)))
        if w not in seen:
            seen.add(w)
            words.append(w)
    vocab = _base_vocab(tuple(words))
    n_vocab = len(vocab.tokens)
    n_head, n_kv, head_dim = 16, 8, 128

    def make(shape: tuple[int, int]) -> np.ndarray:
        return (rng.standard_normal(shape, dtype=np.float32) / np.sqrt(shape[1])).astype(np.float16)

    out = np.zeros((n_vocab, n_embd), np.float16)
    word_ids = [vocab.ids[bpe_text(w)] for w in words]
    out[word_ids] = (rng.standard_normal((len(word_ids), n_embd), dtype=np.float32) * 0.5).astype(np.float16)
    tensors: dict[str, np.ndarray] = {
        "token_embd.weight": (rng.standard_normal((n_vocab, n_embd), dtype=np.float32)).astype(np.float16),
        "output_norm.weight": np.ones(n_embd, np.float32),
        "output.weight": out,
    }
    tensors |= _block_tensors(n_layers, n_embd, n_ff, n_head, n_kv, head_dim, make)
    return _write(
        path,
        vocab,
        tensors,
        n_layers=n_layers,
        n_embd=n_embd,
        n_ff=n_ff,
        n_head=n_head,
        n_kv=n_kv,
        head_dim=head_dim,
        context_length=context_length,
        name="Qwen3 benchmark-shaped random model",
        size_label="0.6B",
        chat_template=TEST_CHAT_TEMPLATE,
        file_type=1,  # MOSTLY_F16
        yarn=yarn,
    )
