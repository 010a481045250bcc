"""The welcome panel's sentences about the machine and the recommended model.

Kept apart from the widget so it stays small; translated in the panel's own
context ("WelcomePanel"), so its strings are listed with the panel's.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from app.models.fit import RECOMMEND_QUANT
from app.models.labels import human_size
from app.models.machine import Machine
from app.ui.welcome_plan import Offer


def machine_text(m: Machine) -> str:
    """ "RAM 9.1 GB free of 16.5 GB · llama.cpp: CUDA (RTX 4090, 20.1 GB free) · 120.3 GB free for models"."""
    parts = []
    if m.ram_total is not None:
        parts.append(
            QCoreApplication.translate("WelcomePanel", "RAM {free} free of {total}").format(
                free=human_size(m.ram_available or 0), total=human_size(m.ram_total)
            )
        )
    if m.has_gpu_backend:
        gpu = m.gpu_name or m.backend
        free = (
            QCoreApplication.translate("WelcomePanel", ", {free} free").format(free=human_size(m.gpu_free))
            if m.gpu_free
            else ""
        )
        parts.append(f"llama.cpp: {m.backend} ({gpu}{free})")
    elif m.backend == "CPU":
        parts.append(QCoreApplication.translate("WelcomePanel", "llama.cpp: CPU only"))
    else:
        parts.append(QCoreApplication.translate("WelcomePanel", "llama.cpp: backend unknown"))
    if m.disk_free is not None:
        parts.append(
            QCoreApplication.translate("WelcomePanel", "{free} free for models").format(
                free=human_size(m.disk_free)
            )
        )
    return " · ".join(parts)


def model_text(offer: Offer) -> str:
    """ "Q4_K_M, 5.0 GB download · runs on the GPU, needs 6.2 GB · thinks when Think is on"."""
    assert offer.model is not None and offer.size is not None
    size = human_size(offer.size)
    parts = [
        QCoreApplication.translate("WelcomePanel", "{quant}, about {size}").format(
            quant=RECOMMEND_QUANT, size=size
        )
        if offer.estimated
        else QCoreApplication.translate("WelcomePanel", "{quant}, {size} download").format(
            quant=RECOMMEND_QUANT, size=size
        )
    ]
    if offer.estimate is not None:
        est = offer.estimate
        verdicts = {
            "gpu": QCoreApplication.translate("WelcomePanel", "runs on the GPU"),
            "partial": QCoreApplication.translate(
                "WelcomePanel", "{on_gpu} of {layers} layers on the GPU"
            ).format(on_gpu=est.gpu_layers, layers=est.layers),
            "cpu": QCoreApplication.translate("WelcomePanel", "runs on the CPU"),
            "tight": QCoreApplication.translate("WelcomePanel", "tight: close other apps"),
            "no": QCoreApplication.translate("WelcomePanel", "will not fit"),
        }
        needs = QCoreApplication.translate("WelcomePanel", "needs {size}").format(
            size=human_size(est.total_bytes)
        )
        parts.append(f"{verdicts.get(est.verdict, est.verdict)}, {needs}")
    think = {
        "hybrid": QCoreApplication.translate("WelcomePanel", "thinks when Think is on"),
        "never": QCoreApplication.translate("WelcomePanel", "answers directly, never thinks"),
        "always": QCoreApplication.translate("WelcomePanel", "always thinks before answering"),
    }
    parts.append(think.get(offer.model.think, offer.model.think))
    return " · ".join(parts)
