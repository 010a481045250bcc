"""The welcome panel: what the chat area shows while no model is loaded, so a first run leads somewhere.

It shows this machine in one line, then one way forward: load a model already
on disk, or download the Qwen3 the catalog recommends here (progress inline,
Cancel), or, offline, say that downloads need the network and that a GGUF you
already have opens without it. Open a GGUF… and Connect to a server… are always
there, and a few example prompts. The survey (machine + Hub listing) and the
download run off the GUI thread (app.ui.download_task); what to offer is
decided in app.ui.welcome_plan. The window wires the signals and swaps the
panel out once a model is loaded.

Signals:
    download_finished(str): the downloaded GGUF's path (verified), ready to load.
    open_gguf_requested(): the user wants to open a GGUF file.
    connect_requested(): the user wants to connect to a server.
    prompt_chosen(str): an example prompt's text.
    load_requested(str): the path of a model already downloaded, to load.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.backend.errors import EngineError
from app.models.download import Progress
from app.models.hub import HubListing
from app.models.labels import human_size
from app.models.machine import Machine
from app.models.store_dir import installed_models
from app.ui.download_task import DownloadTask, HubSurvey, progress_text
from app.ui.welcome_plan import Offer, plan
from app.ui.welcome_text import machine_text, model_text

MAX_WIDTH = 640


class WelcomePanel(QWidget):
    download_finished = Signal(str)
    open_gguf_requested = Signal()
    connect_requested = Signal()
    prompt_chosen = Signal(str)
    load_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomePanel")
        self.machine: Machine | None = None
        self.listing: HubListing | EngineError | None = None
        self.offer = Offer("looking")
        self.task: DownloadTask | None = None
        # Opening the app is not asking for the network (app.privacy): the Hub is listed only once
        # the user presses Download, and the download starts when the listing names the file.
        self.asked = False
        self._download_when_listed = False
        self._asking = False  # a survey that asks the Hub is running

        self.title = QLabel(self.tr("Welcome to QwenDesk"))
        self.title.setObjectName("welcomeTitle")
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.title.setFont(font)
        self.subtitle = QLabel(self.tr("Chat with Qwen3 on this computer, privately. First, a model:"))
        self.subtitle.setWordWrap(True)

        self.machine_label = QLabel(self.tr("Looking at this machine…"))
        self.machine_label.setWordWrap(True)
        machine_card = self._card(QLabel("<b>" + self.tr("This machine") + "</b>"), self.machine_label)

        self.model_title = QLabel()
        self.model_title.setWordWrap(True)
        self.model_detail = QLabel()
        self.model_detail.setWordWrap(True)
        self.status_label = QLabel()  # the offline sentence, an error, "Downloaded"
        self.status_label.setWordWrap(True)
        self.status_label.setContentsMargins(0, 6, 0, 0)  # apart from the model's facts above it
        self.download_button = self._primary(self.tr("Download"), self.start_download)
        self.load_button = self._primary("", self._load)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)  # text over a half-filled bar is hard to read: it goes below
        self.progress_label = QLabel()
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.clicked.connect(self.cancel_download)
        progress = QHBoxLayout()
        progress.addWidget(self.bar, 1)
        progress.addWidget(self.cancel_button)
        progress_box = QVBoxLayout()
        progress_box.addLayout(progress)
        progress_box.addWidget(self.progress_label)
        actions = QHBoxLayout()
        actions.addWidget(self.download_button)
        actions.addWidget(self.load_button)
        actions.addStretch(1)
        model_card = self._card(self.model_title, self.model_detail, self.status_label)
        card_layout = model_card.layout()
        assert isinstance(card_layout, QVBoxLayout)
        card_layout.addLayout(progress_box)
        card_layout.addLayout(actions)

        self.open_button = QPushButton(self.tr("Open a GGUF…"))
        self.open_button.clicked.connect(self.open_gguf_requested)
        self.connect_button = QPushButton(self.tr("Connect to a server…"))
        self.connect_button.clicked.connect(self.connect_requested)
        others = QHBoxLayout()
        others.addWidget(self.open_button)
        others.addWidget(self.connect_button)
        others.addStretch(1)

        self.examples: list[QPushButton] = []
        grid = QGridLayout()
        for i, text in enumerate(self.example_prompts()):
            button = QPushButton(text)
            button.setObjectName("examplePrompt")
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.clicked.connect(lambda _=False, t=text: self.prompt_chosen.emit(t))
            grid.addWidget(button, i // 2, i % 2)
            self.examples.append(button)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)

        column = QVBoxLayout()
        column.addWidget(self.title)
        column.addWidget(self.subtitle)
        column.addSpacing(8)
        column.addWidget(machine_card)
        column.addWidget(model_card)
        column.addLayout(others)
        column.addSpacing(12)
        column.addWidget(QLabel(self.tr("Once a model is loaded, try:")))
        column.addLayout(grid)
        body = QWidget()
        body.setMaximumWidth(MAX_WIDTH)
        body.setLayout(column)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(body, 4)
        row.addStretch(1)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

        self.survey = HubSurvey(self)
        self.survey.ready.connect(self._surveyed)
        self.refresh()

    def example_prompts(self) -> list[str]:
        """Short prompts that show what a local Qwen3 does well, thinking included."""
        return [
            self.tr("Explain how a hash map works"),
            self.tr("Write a Python function to parse a CSV"),
            self.tr("Summarize a document I attach"),
            self.tr("Think it through: how many r's are in “strawberry”?"),
        ]

    def _card(self, *widgets: QWidget) -> QFrame:
        card = QFrame()
        card.setObjectName("welcomeCard")
        card.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(card)
        for w in widgets:
            layout.addWidget(w)
        return card

    def _primary(self, text: str, slot: object) -> QPushButton:
        button = QPushButton(text)
        button.setProperty("primary", True)
        button.setDefault(True)
        button.clicked.connect(slot)
        return button

    # ------------------------------------------------------------- state

    def refresh(self) -> None:
        """Look at the models dir now, and survey the machine and the Hub in the background."""
        self._show(plan(self.machine, self.listing, installed_models(), asked=self.asked))
        self.survey.start(ask_hub=self.asked)

    def _surveyed(self, machine: Machine, listing: HubListing | EngineError) -> None:
        self.machine, self.listing = machine, listing
        self.machine_label.setText(machine_text(machine))
        self.machine_label.setToolTip(str(machine.disk_path or ""))
        if self._download_when_listed and not self._asking:
            self._ask_hub()  # Download was pressed while the first look (no network) ran
            return
        self._asking = False
        self._show(plan(machine, listing, installed_models(), asked=self.asked))
        if self._download_when_listed:
            self._download_when_listed = False
            if self.offer.kind == "download":
                self.start_download()

    def _ask_hub(self) -> None:
        """List the Hub now (the user pressed Download); a look still running is waited for."""
        self._asking = self.survey.start(ask_hub=True)

    def _show(self, offer: Offer) -> None:
        self.offer = offer
        downloading = self.task is not None
        self.bar.setVisible(downloading)
        self.progress_label.setVisible(downloading)
        self.cancel_button.setVisible(downloading)
        self.download_button.setVisible(offer.kind in ("download", "suggest") and not downloading)
        self.download_button.setEnabled(not self._download_when_listed)
        self.download_button.setText(self.tr("Resume download") if offer.resume else self.tr("Download"))
        self.load_button.setVisible(offer.kind == "load")
        self.status_label.setToolTip(offer.reason)
        status = {
            "suggest": self.tr(
                "Download asks the Hugging Face Hub for this file; nothing else leaves this computer."
            ),
            "offline": self.tr(
                "The Hugging Face Hub cannot be reached, and downloading a model needs the network. "
                "A GGUF file you already have works offline: Open a GGUF… loads it."
            ),
            "error": self.tr("Could not list the models on the Hub: {error}").format(error=offer.reason),
            "none_fits": self.tr(
                "No Qwen3 on offer fits this machine comfortably. Open a GGUF… or Connect to a server… "
                "still work."
            ),
        }
        self.status_label.setText(status.get(offer.kind, ""))
        self.status_label.setVisible(offer.kind in status)
        if offer.kind == "looking":
            self.model_title.setText(self.tr("Finding the right Qwen3 for this machine…"))
            self.model_detail.setText("")
        elif offer.kind == "load" and offer.installed is not None:
            m = offer.installed
            self.model_title.setText(self.tr("<b>{name}</b> is on this machine").format(name=m.name))
            self.model_detail.setText(
                self.tr("{size}, downloaded").format(size=human_size(m.size))
                if m.repo
                else self.tr("{size}, imported").format(size=human_size(m.size))
            )
            self.load_button.setText(self.tr("Load {name}").format(name=m.name))
        elif offer.model is not None and offer.size is not None:
            self.model_title.setText(
                self.tr("Recommended for this machine: <b>{model}</b>").format(model=offer.model.name)
            )
            self.model_detail.setText(model_text(offer))
        else:
            self.model_title.setText(self.tr("No recommendation"))
            self.model_detail.setText("")
        self.model_detail.setVisible(bool(self.model_detail.text()))

    # ------------------------------------------------------------ actions

    def start_download(self) -> None:
        """Download the recommended GGUF; progress inline, ``download_finished`` when verified.

        Before the Hub was asked, this asks it first (the file, its size and SHA-256).
        """
        if self.offer.kind == "suggest" and not self._download_when_listed:
            self.asked = True
            self._download_when_listed = True
            self.status_label.setText(self.tr("Asking the Hugging Face Hub…"))
            self.download_button.setEnabled(False)
            self._ask_hub()
            return
        if self.offer.kind != "download" or self.offer.entry is None or self.task is not None:
            return
        task = DownloadTask(self.offer.entry, self)
        try:
            task.start()
        except EngineError as exc:  # not enough disk: said where the progress would be
            self.status_label.setText(exc.message)
            self.status_label.show()
            return
        task.progressed.connect(self._progressed)
        task.ended.connect(self._ended)
        self.task = task
        self.bar.setValue(0)
        self.progress_label.setText(self.tr("Starting…"))
        self.status_label.hide()
        self._show(self.offer)

    def cancel_download(self) -> None:
        """Stop the download and delete what it wrote."""
        if self.task is not None:
            self.task.cancel()
            self.task = None
            self.refresh()

    def shutdown(self) -> None:
        """Pause a running download (the next Download resumes it) and stop the survey: the window closes."""
        if self.task is not None:
            self.task.pause()
            self.task = None
        self.survey.shutdown()

    def _progressed(self, p: Progress) -> None:
        self.bar.setValue(int(p.fraction * 1000))
        self.progress_label.setText(f"{int(p.fraction * 100)}% · {progress_text(p)}")

    def _ended(self, p: Progress) -> None:
        task, self.task = self.task, None
        self.refresh()
        if p.state == "done" and task is not None:
            self.download_finished.emit(str(task.path))
        elif p.error is not None:
            self.status_label.setText(self.tr("Download failed: {error}").format(error=p.error.message))
            self.status_label.show()

    def _load(self) -> None:
        if self.offer.installed is not None:
            self.load_requested.emit(str(self.offer.installed.path))
