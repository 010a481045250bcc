"""What a load tells the user besides "loaded": YaRN on, no GPU in this build, a missing template…"""

from __future__ import annotations

from app.backend.chat_template import ChatTemplate
from app.backend.protocol import Hello, Notice
from app.models.gguf_file import GGUFInfo
from app.models.load_plan import LoadPlan
from app.models.think_mode import ThinkMode
from app.models.think_mode import describe as describe_think_mode


def load_notices(
    info: GGUFInfo, plan: LoadPlan, template: ChatTemplate, mode: ThinkMode, *, gpu_asked: bool, hello: Hello
) -> list[Notice]:
    notices = []
    if plan.yarn_factor:
        notices.append(
            Notice(
                f"Context {plan.n_ctx:,} is beyond the native {plan.native_ctx:,}: "
                f"YaRN rope scaling ×{plan.yarn_factor} is on.",
                code="yarn",
            )
        )
    if gpu_asked and not hello.supports_gpu_offload:
        notices.append(Notice("This llama.cpp build has no GPU support: running on the CPU.", code="no_gpu"))
    if template.builtin:
        notices.append(
            Notice(f"{info.path.name} has no chat template: using the built-in Qwen3 one.", code="template")
        )
    if not info.is_qwen3:
        notices.append(
            Notice(f"{info.architecture} is not Qwen3: think control may not apply.", code="not_qwen3")
        )
    if mode != "hybrid":
        notices.append(Notice(describe_think_mode(mode), code=f"think_{mode}"))
    return notices
