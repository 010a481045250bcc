"""The chat area: the conversation, or, while nothing can answer, the welcome panel in its place.

The panel is built the first time it is needed (a user with a model loaded never pays for it),
and shown only while no model is loaded, loading or connected and the conversation on screen
is empty: old conversations stay readable without a model.
"""

from __future__ import annotations

from PySide6.QtWidgets import QStackedWidget, QWidget

from app.ui.chat_view import ChatView
from app.ui.welcome import WelcomePanel


class ChatArea(QStackedWidget):
    def __init__(self, view: ChatView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.addWidget(view)
        self.welcome: WelcomePanel | None = None
        self.on_welcome_built = lambda _panel: None  # the window wires the panel's signals

    def show_welcome(self, shown: bool) -> None:
        if shown and self.welcome is None:
            self.welcome = WelcomePanel()
            self.addWidget(self.welcome)
            self.on_welcome_built(self.welcome)
        elif shown and self.welcome is not None and self.currentWidget() is not self.welcome:
            self.welcome.refresh()  # a model may have been downloaded or deleted since
        self.setCurrentWidget(self.welcome if shown and self.welcome is not None else self.view)

    @property
    def welcome_shown(self) -> bool:
        return self.welcome is not None and self.currentWidget() is self.welcome

    def shutdown(self) -> None:
        if self.welcome is not None:
            self.welcome.shutdown()
