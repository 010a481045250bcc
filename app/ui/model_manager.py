"""The model manager: the Qwen3 catalog, its quantizations, downloads and fit.

The eight original sizes (thinking on or off), then the 2507 generation (one mode
each, 262K context). Listing the Hub and probing the machine run on a background
thread; downloads run in their own processes (app.models.download) and are
polled by a timer (both in app.ui.download_task, shared with the welcome panel),
so the window never waits on the network. With the Hub
unreachable and no saved listing, every catalog model is still shown with its
estimated size and fit, and one sentence says why no quantization is listed.

Signals:
    model_chosen(str, object): load this GGUF with these LoadOptions (None: its saved ones).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QFont
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.backend.errors import EngineError
from app.models import fit
from app.models.catalog import CATALOG, CatalogModel, find
from app.models.download import Download, Progress, entry_state
from app.models.hub import GGUFEntry, HubListing
from app.models.labels import ctx_label, human_size
from app.models.machine import Machine
from app.models.store_dir import InstalledModel, delete_model, import_model, installed_models
from app.ui.download_task import DownloadTask, HubSurvey, entry_key, progress_text
from app.ui.load_settings import LoadSettingsDialog, open_load_settings
from app.ui.settings import Settings

log = logging.getLogger("qwendesk.ui.models")
ENTRY_ROLE = Qt.ItemDataRole.UserRole
# The tree's columns.
COL_NAME, COL_THINK, COL_CTX, COL_SIZE, COL_FIT, COL_STATUS = range(6)


class ModelManager(QDialog):
    model_chosen = Signal(str, object)

    def __init__(self, parent: QWidget | None = None, settings: Settings | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle(self.tr("Models"))
        self.setAcceptDrops(True)
        self.resize(1040, 600)
        self.machine_label = QLabel(self.tr("Looking at this machine…"))
        self.machine_label.setWordWrap(True)
        self.recommend_label = QLabel()
        self.recommend_label.setWordWrap(True)
        self.recommend_label.hide()  # shown when there is something to recommend (or to say why not)
        self.recommend_button = QPushButton(self.tr("Download"))
        self.recommend_button.hide()
        self.recommend_button.clicked.connect(self._download_recommended)
        self.listing_label = QLabel(self.tr("Listing Qwen3 GGUFs on the Hugging Face Hub…"))
        self.listing_label.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(
            [
                self.tr("Model"),
                self.tr("Thinking"),
                self.tr("Context"),
                self.tr("Size"),
                self.tr("Fit at 16K context"),
                self.tr("Status"),
            ]
        )
        widths = {COL_NAME: 250, COL_THINK: 100, COL_CTX: 75, COL_SIZE: 75, COL_FIT: 200}
        for column, width in widths.items():
            self.tree.setColumnWidth(column, width)
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        self.download_button = QPushButton(self.tr("Download"))
        self.pause_button = QPushButton(self.tr("Pause"))
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.delete_button = QPushButton(self.tr("Delete"))
        self.use_button = QPushButton(self.tr("Use"))
        self.load_settings_button = QPushButton(self.tr("Load settings…"))
        self.load_settings_button.setToolTip(
            self.tr("Context (YaRN), GPU layers, KV cache, threads for this model")
        )
        self.import_button = QPushButton(self.tr("Import GGUF…"))
        for b, slot in (
            (self.download_button, self.download_selected),
            (self.pause_button, self.pause_selected),
            (self.cancel_button, self.cancel_selected),
            (self.delete_button, self.delete_selected),
            (self.use_button, self.use_selected),
            (self.load_settings_button, self.edit_load_settings),
            (self.import_button, self.ask_import),
        ):
            b.clicked.connect(slot)
        buttons = QHBoxLayout()
        for b in (self.download_button, self.pause_button, self.cancel_button, self.delete_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.load_settings_button)
        buttons.addWidget(self.use_button)
        top = QHBoxLayout()
        top.addWidget(self.recommend_label, 1)
        top.addWidget(self.recommend_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.machine_label)
        layout.addLayout(top)
        layout.addWidget(self.listing_label)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)

        self.machine: Machine | None = None
        self.listing: HubListing | None = None
        self.downloads: dict[str, DownloadTask] = {}
        self.bars: dict[str, QProgressBar] = {}
        self._recommended: GGUFEntry | None = None
        self._file_fits: dict[tuple[str, int], str] = {}  # (path, size) → fit text of a local GGUF
        self._survey = HubSurvey(self)
        self._survey.ready.connect(self._surveyed)
        self.refresh()
        self._update_buttons()

    # ------------------------------------------------------------- listing

    def refresh(self) -> None:
        """Probe the machine and list the Hub in the background."""
        if self._survey.start():
            self.listing_label.setText(self.tr("Listing Qwen3 GGUFs on the Hugging Face Hub…"))

    def _surveyed(self, machine: Machine, listing: HubListing | EngineError) -> None:
        self.machine = machine
        self.machine_label.setText(self.tr("This machine: {machine}").format(machine=machine.describe()))
        self.listing_label.setToolTip("")
        if isinstance(listing, EngineError):
            self.listing_label.setText(
                self.tr("Could not list the Hub: {error}").format(error=listing.message)
            )
        elif not listing.listed:
            self.listing = listing
            self.listing_label.setText(
                self.tr(
                    "The Hugging Face Hub could not be reached, so quantizations are not listed; "
                    "downloaded and imported models work offline, and Import GGUF… adds a GGUF "
                    "you already have."
                )
            )
            self.listing_label.setToolTip(listing.reason or "")  # the technical detail, on demand
        else:
            self.listing = listing
            self.listing_label.setText(
                self.tr("Qwen3 GGUFs on the Hub (saved listing: the Hub is unreachable):")
                if listing.cached
                else self.tr("Qwen3 GGUFs on the Hub:")
            )
        self._fill()  # every catalog model, whatever the listing: estimates where nothing is listed

    def _download_ended(self, key: str, p: Progress) -> None:
        self.downloads.pop(key, None)
        if p.state == "failed" and p.error is not None:
            QMessageBox.warning(self, self.tr("Download failed"), p.error.message)
        self._fill()

    def _fill(self) -> None:
        self.tree.clear()
        self.bars.clear()
        listing = self.listing
        group = None
        for model in CATALOG:
            if model.generation != group:
                group = model.generation
                self._add_group_row(
                    self.tr("Qwen3-2507 · newer generation: one mode each, 262K context")
                    if model.is_2507
                    else self.tr("Qwen3 · the eight original sizes: thinking on or off")
                )
            top = self._model_row(model)
            self.tree.addTopLevelItem(top)
            ml = listing.model(model.name) if listing else None
            if not (ml and ml.entries):
                # Nothing listed (offline with no saved listing, or the Hub lacks it): an estimate.
                size = fit.estimated_file_size(model, fit.RECOMMEND_QUANT)
                top.setText(COL_SIZE, f"≈{human_size(size)}")
                top.setToolTip(
                    COL_SIZE,
                    self.tr("Estimated for {quant} from the parameter count").format(
                        quant=fit.RECOMMEND_QUANT
                    ),
                )
                top.setText(COL_FIT, self._fit_for(model, size))
                if listing is not None:
                    top.setText(COL_STATUS, self.tr("not listed") if listing.listed else self.tr("estimate"))
            for entry in ml.entries if ml else ():
                child = QTreeWidgetItem(["", "", "", "", "", ""])
                child.setText(COL_NAME, entry.quant)
                child.setText(COL_SIZE, human_size(entry.size))
                child.setText(COL_FIT, self._fit_text(entry))
                child.setData(COL_NAME, ENTRY_ROLE, entry)
                top.addChild(child)
                self._show_state(child, entry)
            top.setExpanded(False)
        local = QTreeWidgetItem([self.tr("On this machine")])
        self.tree.addTopLevelItem(local)
        for m in installed_models():
            item = QTreeWidgetItem(["", "", "", "", "", ""])
            item.setText(COL_NAME, m.name)
            item.setText(COL_SIZE, human_size(m.size))
            item.setText(COL_FIT, self._local_fit_text(m))
            item.setText(COL_STATUS, self.tr("downloaded") if m.repo else self.tr("imported"))
            item.setData(COL_NAME, ENTRY_ROLE, m)
            local.addChild(item)
        local.setExpanded(True)
        self._recommend()
        self.recommend_label.setVisible(bool(self.recommend_label.text()))
        self._update_buttons()

    def _add_group_row(self, text: str) -> None:
        """A heading row across the tree (not selectable): which generation follows."""
        row = QTreeWidgetItem([text])
        row.setFlags(Qt.ItemFlag.ItemIsEnabled)
        font = QFont(row.font(COL_NAME))
        font.setBold(True)
        row.setFont(COL_NAME, font)
        self.tree.addTopLevelItem(row)
        row.setFirstColumnSpanned(True)

    def _model_row(self, model: CatalogModel) -> QTreeWidgetItem:
        """A catalog model's row: name, how it thinks, its context."""
        think = {
            "hybrid": self.tr("on or off"),
            "never": self.tr("no thinking"),
            "always": self.tr("always thinks"),
        }
        row = QTreeWidgetItem(["", "", "", "", "", ""])
        row.setText(COL_NAME, model.name)
        row.setText(COL_THINK, think.get(model.think, model.think))
        if model.is_2507:
            row.setToolTip(COL_NAME, self.tr("Qwen3-2507: the newer generation"))
        tips = {
            "hybrid": self.tr("The Think switch turns thinking on or off"),
            "never": self.tr("An Instruct model: answers directly, never thinks"),
            "always": self.tr("A Thinking model: always reasons before answering"),
        }
        row.setToolTip(COL_THINK, tips.get(model.think, ""))
        if model.max_ctx > model.native_ctx:
            row.setText(COL_CTX, f"{ctx_label(model.native_ctx)}–{ctx_label(model.max_ctx)}")
            row.setToolTip(
                COL_CTX,
                self.tr("{native} tokens natively, up to {max} with YaRN").format(
                    native=f"{model.native_ctx:,}", max=f"{model.max_ctx:,}"
                ),
            )
        else:
            row.setText(COL_CTX, ctx_label(model.native_ctx))
            row.setToolTip(COL_CTX, self.tr("{native} tokens").format(native=f"{model.native_ctx:,}"))
        return row

    def _fit_text(self, entry: GGUFEntry) -> str:
        model = find(entry.repo.split("/")[-1].removesuffix("-GGUF"))
        return "" if model is None else self._fit_for(model, entry.size)

    def _fit_for(self, model: CatalogModel, size: int) -> str:
        """The fit verdict at 16K context for ``model`` in a file of ``size`` bytes."""
        if self.machine is None:
            return ""
        return self._verdict_text(fit.catalog_estimate(model, size, self.machine))

    def _local_fit_text(self, m: InstalledModel) -> str:
        """The fit of a file on disk, from its GGUF header (remembered per path and size)."""
        if self.machine is None:
            return ""
        key = (str(m.path), m.size)
        if key not in self._file_fits:
            try:
                self._file_fits[key] = self._verdict_text(fit.file_estimate(m.path, self.machine))
            except Exception as exc:  # an unreadable header: no verdict, the row stays
                log.info("no fit estimate for %s: %s", m.path, exc)
                self._file_fits[key] = ""
        return self._file_fits[key]

    def _verdict_text(self, est: fit.FitEstimate) -> str:
        labels = {
            "gpu": self.tr("fits on the GPU"),
            "partial": self.tr("{on_gpu}/{layers} layers on GPU").format(
                on_gpu=est.gpu_layers, layers=est.layers
            ),
            "cpu": self.tr("fits (CPU)"),
            "tight": self.tr("tight: close other apps"),
            "no": self.tr("will not fit"),
        }
        needs = self.tr("needs {size}").format(size=human_size(est.total_bytes))
        return f"{labels.get(est.verdict, est.verdict)} · {needs}"

    def _show_state(self, item: QTreeWidgetItem, entry: GGUFEntry) -> None:
        state = entry_state(entry)
        shown = {"downloaded": self.tr("downloaded"), "partial": self.tr("partly downloaded")}
        item.setText(COL_STATUS, shown.get(state or "", ""))

    def _recommend(self) -> None:
        if self.machine is None or self.listing is None or installed_models():
            self.recommend_label.setText("")
            self.recommend_button.hide()
            return
        sizes = {(m.name, e.quant): e.size for m in self.listing.models for e in m.entries}
        offered = [m for m in CATALOG if (m.name, fit.RECOMMEND_QUANT) in sizes]  # only what can be had
        if not offered:  # offline with no saved listing: nothing can be downloaded now
            self.recommend_label.setText("")
            self.recommend_button.hide()
            return
        pick = fit.recommend(self.machine, offered, sizes)
        if pick is None:
            self.recommend_label.setText(self.tr("No Qwen3 model on offer fits this machine comfortably."))
            return
        model, quant = pick
        ml = self.listing.model(model.name)
        self._recommended = ml.entry(quant) if ml else None
        if self._recommended is not None:
            self.recommend_label.setText(
                self.tr("Recommended for this machine: <b>{model} {quant}</b> ({size})").format(
                    model=model.name, quant=quant, size=human_size(self._recommended.size)
                )
            )
            self.recommend_button.show()

    # ------------------------------------------------------------ actions

    def selected(self) -> Any:
        item = self.tree.currentItem()
        return None if item is None else item.data(COL_NAME, ENTRY_ROLE)

    def _update_buttons(self) -> None:
        sel = self.selected()
        is_entry = isinstance(sel, GGUFEntry)
        key = _key(sel) if is_entry else None
        running = key in self.downloads
        state = entry_state(sel) if is_entry else None
        self.download_button.setEnabled(is_entry and not running and state != "downloaded")
        self.download_button.setText(self.tr("Resume") if state == "partial" else self.tr("Download"))
        self.pause_button.setEnabled(running)
        self.cancel_button.setEnabled(running or state == "partial")
        self.delete_button.setEnabled((not is_entry and sel is not None) or state == "downloaded")
        usable = (not is_entry and sel is not None) or state == "downloaded"
        self.use_button.setEnabled(usable)
        self.load_settings_button.setEnabled(usable and self.settings is not None)

    def download(self, entry: GGUFEntry) -> DownloadTask | None:
        key = _key(entry)
        if key in self.downloads:
            return self.downloads[key]
        task = DownloadTask(entry, self)
        try:
            task.start()
        except EngineError as exc:
            QMessageBox.warning(self, self.tr("Cannot download"), exc.message)
            return None
        task.progressed.connect(lambda p, key=key: self._show_progress(key, p))
        task.ended.connect(lambda p, key=key: self._download_ended(key, p))
        self.downloads[key] = task
        self._update_buttons()
        return task

    def download_selected(self) -> None:
        if isinstance(self.selected(), GGUFEntry):
            self.download(self.selected())

    def _download_recommended(self) -> None:
        if self._recommended is not None:
            self.download(self._recommended)

    def pause_selected(self) -> None:
        d = self.downloads.get(_key(self.selected())) if isinstance(self.selected(), GGUFEntry) else None
        if d is not None:
            d.pause()
            self.downloads.pop(_key(self.selected()))
            self._fill()

    def cancel_selected(self) -> None:
        sel = self.selected()
        if not isinstance(sel, GGUFEntry):
            return
        task = self.downloads.pop(_key(sel), None)
        if task is not None:
            task.cancel()
        else:  # a partial download from an earlier run: delete its part
            Download.for_entry(sel).cancel()
        self._fill()

    def delete_selected(self) -> None:
        sel = self.selected()
        path = _path_of(sel)
        if path is None:
            return
        size = sum(
            p.stat().st_size for p in path.parent.glob(path.name.split("-00001-of-")[0] + "*") if p.is_file()
        )
        answer = QMessageBox.question(
            self,
            self.tr("Delete model"),
            self.tr("Delete {name} ({size})?").format(name=path.name, size=human_size(size)),
        )
        if answer == QMessageBox.StandardButton.Yes:
            freed = delete_model(path)
            QMessageBox.information(
                self, self.tr("Deleted"), self.tr("{size} freed.").format(size=human_size(freed))
            )
            self._fill()

    def use_selected(self) -> None:
        """Load the selected model with its saved load settings."""
        path = _path_of(self.selected())
        if path is not None:
            self.model_chosen.emit(str(path), None)

    def edit_load_settings(self) -> LoadSettingsDialog | None:
        """Load settings for the selected model; Load saves them and loads it."""
        path = _path_of(self.selected())
        if path is None or self.settings is None:
            return None
        dialog = open_load_settings(self, str(path), self.settings)
        if dialog is not None:
            dialog.accepted.connect(lambda: self.model_chosen.emit(str(path), dialog.options()))
            dialog.open()
        return dialog

    def ask_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Import a GGUF"), str(Path.home()), self.tr("GGUF models (*.gguf)")
        )
        if path:
            self.import_file(path)

    def import_file(self, path: str) -> bool:
        try:
            result = import_model(path)
        except EngineError as exc:
            QMessageBox.warning(self, self.tr("Cannot import"), exc.message)
            return False
        if result.notes:
            QMessageBox.information(self, self.tr("Imported"), "\n".join(result.notes))
        self._fill()
        return True

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(u.toLocalFile().endswith(".gguf") for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for url in event.mimeData().urls():
            if url.toLocalFile().endswith(".gguf"):
                self.import_file(url.toLocalFile())

    def _show_progress(self, key: str, p: Progress) -> None:
        item = self._item_for(key)
        if item is None:
            return
        bar = self.bars.get(key)
        if bar is None:
            bar = self.bars[key] = QProgressBar()
            bar.setRange(0, 1000)
            self.tree.setItemWidget(item, COL_STATUS, bar)
        bar.setValue(int(p.fraction * 1000))
        bar.setFormat(progress_text(p))

    def _item_for(self, key: str) -> QTreeWidgetItem | None:
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            for j in range(top.childCount() if top is not None else 0):
                child = top.child(j) if top is not None else None
                data = child.data(COL_NAME, ENTRY_ROLE) if child is not None else None
                if isinstance(data, GGUFEntry) and _key(data) == key:
                    return child
        return None

    def closeEvent(self, event: Any) -> None:
        """Downloads pause when the window closes; the next Download resumes them."""
        for d in self.downloads.values():
            d.pause()
        self.downloads.clear()
        self._survey.shutdown()
        super().closeEvent(event)


_key = entry_key


def _path_of(sel: Any) -> Path | None:
    if isinstance(sel, GGUFEntry):
        if entry_state(sel) != "downloaded":
            return None
        return Download.for_entry(sel).paths[0]
    return getattr(sel, "path", None)
