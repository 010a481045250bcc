"""When a worker crash is llama.cpp #20824 (AMX CPUs) and a reload without extra buffer types heals it.

Natively built llama-cpp-python 0.3.36 segfaults in ``ggml_backend_amx_mul_mat`` on the first decode
of a quantized GGUF on AMX CPUs (https://github.com/ggml-org/llama.cpp/issues/20824). The engine
reloads once with ``use_extra_bufts = false`` when a crash looks like it: a crash signal in the first
evaluation after a load (the load's speed measurement or the first turn), not cancelled, with extra
buffer types on.
"""

from __future__ import annotations

import signal

from app.backend.errors import WorkerCrashedError
from app.backend.protocol import Stage
from app.models.load_plan import LoadPlan

AMX_NOTICE = (
    "llama.cpp crashed on this CPU on its first evaluation (a known bug with AMX CPUs, llama.cpp "
    "#20824). QwenDesk reloaded the model with extra buffer types off (use_extra_bufts=false) and "
    "will use that on this machine from now on."
)
CRASH_SIGNALS = {signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGABRT, signal.SIGFPE}


def looks_like_amx_crash(
    crash: WorkerCrashedError, *, first_evaluation: bool, cancelled: bool, plan: LoadPlan
) -> bool:
    return (
        first_evaluation
        and not cancelled
        and plan.use_extra_bufts
        and crash.stage in (Stage.PROMPT_EVAL.label, Stage.DECODING.label)
        and crash.signal in CRASH_SIGNALS
    )
