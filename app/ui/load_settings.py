"""Per-model load settings: context (with YaRN shown), GPU layers, KV cache, flash attention, threads.

Every change re-runs the same ``make_plan`` and fit estimate the engine and the
model manager use, so what the dialog says (YaRN factor, memory, GPU layers) is
what the load will do; a combination the engine would refuse disables Load and
says why.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.backend.errors import EngineError
from app.models.gguf_file import GGUFInfo, read_gguf_info
from app.models.load_options import LOADABLE_KV_TYPES, LoadOptions, auto_gpu_layers, estimate_for
from app.models.load_plan import (
    CONTEXT_STEPS,
    DEFAULT_CTX,
    LoadPlan,
    context_limits,
    default_threads,
    file_yarn,
    make_plan,
)
from app.models.machine import Machine, probe_machine
from app.ui.settings import Settings
from app.ui.theme import show_as_error

AUTO = -1  # the GPU-layers spin box's "Auto" value


class LoadSettingsDialog(QDialog):
    """Edit the LoadOptions of one model; ``options()`` reads the result after ``exec()``."""

    def __init__(
        self, info: GGUFInfo, machine: Machine, options: LoadOptions, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.info, self.machine = info, machine
        self.setWindowTitle(self.tr("Load settings — {model}").format(model=info.path.stem))
        self.native, self.max_ctx = context_limits(info)

        self.context = QComboBox()
        self.context.setObjectName("contextLength")
        steps = [c for c in CONTEXT_STEPS if c <= self.max_ctx]
        if self.max_ctx not in steps:
            steps.append(self.max_ctx)
        if options.n_ctx and options.n_ctx not in steps:
            steps = sorted({*steps, options.n_ctx})
        for c in steps:
            self.context.addItem(self.tr("{n} tokens").format(n=f"{c:,}"), c)
        self._select_context(options.n_ctx or min(self.native, DEFAULT_CTX))
        self.yarn_label = QLabel()
        self.yarn_label.setWordWrap(True)

        self.gpu_layers = QSpinBox()
        self.gpu_layers.setObjectName("gpuLayers")
        self.gpu_layers.setRange(AUTO, info.block_count + 1)
        self.gpu_layers.setSpecialValueText(self.tr("Auto"))
        self.gpu_layers.setValue(AUTO if options.n_gpu_layers is None else options.n_gpu_layers)
        if not machine.has_gpu_backend:
            self.gpu_layers.setEnabled(False)
            self.gpu_layers.setToolTip(
                self.tr(
                    "This llama-cpp-python build has no GPU backend (CUDA, Metal or Vulkan): "
                    "the model runs on the CPU. See the README to build the engine with GPU support."
                )
            )

        self.kv_cache = QComboBox()
        self.kv_cache.setObjectName("kvCache")
        kv_labels = {"f16": self.tr("f16 (best quality)"), "q8_0": self.tr("q8_0 (half the memory)")}
        for kv in LOADABLE_KV_TYPES:
            self.kv_cache.addItem(kv_labels.get(kv, kv), kv)
        self.kv_cache.setCurrentIndex(max(0, self.kv_cache.findData(options.kv_cache_type)))
        self.flash_attn = QCheckBox(self.tr("Flash attention"))
        self.flash_attn.setObjectName("flashAttention")
        self.flash_attn.setChecked(bool(options.flash_attn))

        self.threads = QSpinBox()
        self.threads.setObjectName("threads")
        self.threads.setRange(0, max(64, default_threads() * 4))
        self.threads.setSpecialValueText(self.tr("Auto ({n})").format(n=default_threads()))
        self.threads.setValue(options.n_threads or 0)

        self.fit_label = QLabel()
        self.fit_label.setObjectName("fitEstimate")
        self.fit_label.setWordWrap(True)
        self.error_label = QLabel()
        self.error_label.setObjectName("loadSettingsError")
        self.error_label.setWordWrap(True)
        show_as_error(self.error_label, True)

        form = QFormLayout()
        form.addRow(self.tr("Context length:"), self.context)
        form.addRow("", self.yarn_label)
        form.addRow(self.tr("GPU layers:"), self.gpu_layers)
        form.addRow(self.tr("KV cache:"), self.kv_cache)
        form.addRow("", self.flash_attn)
        form.addRow(self.tr("CPU threads:"), self.threads)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.load_button = QPushButton(self.tr("Load"))
        self.load_button.setDefault(True)
        self.load_button.setProperty("primary", True)  # the accent: the style sheet's main action
        self.buttons.addButton(self.load_button, QDialogButtonBox.ButtonRole.AcceptRole)
        reset = self.buttons.addButton(QDialogButtonBox.StandardButton.RestoreDefaults)
        reset.clicked.connect(self.reset)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.fit_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

        for signal in (
            self.context.currentIndexChanged,
            self.gpu_layers.valueChanged,
            self.kv_cache.currentIndexChanged,
            self.threads.valueChanged,
        ):
            signal.connect(self._update)
        self.flash_attn.toggled.connect(self._update)
        self._update()

    def _select_context(self, n_ctx: int) -> None:
        index = self.context.findData(n_ctx)
        self.context.setCurrentIndex(index if index >= 0 else 0)

    def options(self) -> LoadOptions:
        n_ctx = int(self.context.currentData())
        default_ctx = min(self.native, DEFAULT_CTX)
        kv = str(self.kv_cache.currentData())
        flash = self.flash_attn.isChecked()
        return LoadOptions(
            n_ctx=None if n_ctx == default_ctx else n_ctx,
            n_gpu_layers=None if self.gpu_layers.value() == AUTO else self.gpu_layers.value(),
            kv_cache_type=kv,
            flash_attn=True if flash else None,  # off is the default
            n_threads=self.threads.value() or None,
        )

    def reset(self) -> None:
        self._select_context(min(self.native, DEFAULT_CTX))
        self.gpu_layers.setValue(AUTO)
        self.kv_cache.setCurrentIndex(0)
        self.flash_attn.setChecked(False)
        self.threads.setValue(0)

    def _update(self) -> None:
        # A quantized V cache needs flash attention in llama.cpp: tie the box to it.
        quantized = self.kv_cache.currentData() != "f16"
        if quantized:
            self.flash_attn.blockSignals(True)
            self.flash_attn.setChecked(True)
            self.flash_attn.blockSignals(False)
        self.flash_attn.setEnabled(not quantized)
        self.flash_attn.setToolTip(self.tr("Needed by a quantized KV cache") if quantized else "")
        opts = self.options()
        if self.machine.has_gpu_backend:
            auto = auto_gpu_layers(self.info, self.machine, opts)
            shown = self.info.block_count + 1 if auto is None else auto
            self.gpu_layers.setSpecialValueText(
                self.tr("Auto ({shown} of {total})").format(shown=shown, total=self.info.block_count + 1)
            )
        plan: LoadPlan | None = None
        try:
            plan = make_plan(
                self.info, gpu_offload_supported=self.machine.has_gpu_backend, **opts.engine_kwargs()
            )
        except EngineError as exc:
            self.error_label.setText(exc.message)
            self.error_label.show()
            self.load_button.setEnabled(False)
        else:
            self.error_label.hide()
            self.load_button.setEnabled(True)
        self.yarn_label.setText(self._rope_text(plan))
        est = estimate_for(self.info, self.machine, opts)
        self.fit_label.setText(est.summary)

    def _rope_text(self, plan: LoadPlan | None) -> str:
        """Which rope scaling the load will use, as ``make_plan`` decided it."""
        native, top = f"{self.native:,}", f"{self.max_ctx:,}"
        if plan is not None and plan.yarn_factor:
            return self.tr(
                "Beyond the {native} tokens this model reads without scaling: YaRN rope scaling "
                "×{factor} (over {orig}) will be on; it can slightly lower quality on short texts."
            ).format(native=native, factor=plan.yarn_factor, orig=f"{plan.yarn_orig_ctx:,}")
        in_file = file_yarn(self.info)
        if in_file is not None:
            return self.tr(
                "This file's metadata turns YaRN ×{factor} on for {max} tokens; at this context it "
                "is loaded without rope scaling, for full quality. YaRN goes on only beyond {native}."
            ).format(factor=in_file[0], max=top, native=native)
        if self.max_ctx > self.native:
            return self.tr("No rope scaling up to {native} tokens. Up to {max} with YaRN.").format(
                native=native, max=top
            )
        return self.tr("Native context: up to {max} tokens without rope scaling.").format(max=top)


def open_load_settings(parent: QWidget, path: str, settings: Settings) -> LoadSettingsDialog | None:
    """The dialog for the model at ``path`` with its saved options; accepting saves them.

    None (after a warning) when the file is not a model that can be loaded.
    """
    try:
        info = read_gguf_info(path)
    except EngineError as exc:
        QMessageBox.warning(
            parent, QCoreApplication.translate("LoadSettingsDialog", "Load settings"), exc.message
        )
        return None
    dialog = LoadSettingsDialog(info, probe_machine(), settings.load_options(path), parent)
    dialog.accepted.connect(lambda: settings.set_load_options(path, dialog.options()))
    return dialog
