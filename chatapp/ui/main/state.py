"""What the window is showing and doing, in one object that says when it changes.

The sidebar, the chat panel, the model status bar and the first-run screen read ``WindowState``
and react to its signals; whoever changes a value sets it here rather than poking the widgets
that show it. Everything happens on the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from chatapp.core.config.appsettings import AppSettings
from chatapp.core.docs.index import Collection
from chatapp.core.inference.engine import LoadedModel
from chatapp.core.storage.store import Conversation, Message
from chatapp.ui.main.docs_worker import IndexStatus
from chatapp.ui.main.servers import RemoteModel


@dataclass
class Stream:
    """The reply being received: which message, and the text so far."""

    conversation_id: str
    message_id: str
    text: str = ""


class WindowState(QObject):
    """The current conversation, its thread, the reply streaming, the model and the settings."""

    settings_changed = Signal()
    conversations_changed = Signal()  # the sidebar's list
    conversation_changed = Signal()  # another conversation (or none), or its title/settings
    thread_changed = Signal()  # the messages shown (or their versions) changed
    stream_changed = Signal()  # a reply began or ended (not each piece of it)
    model_changed = Signal()  # a model loaded, loading began or ended, or a server's was chosen
    editing_changed = Signal()  # a message is being edited, or no longer
    documents_changed = Signal()  # the collections, what indexing does, or the chosen ones

    def __init__(self, settings: AppSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._conversations: list[Conversation] = []
        self._current: Conversation | None = None
        self.thread_messages: list[Message] = []
        self.versions: dict[str, list[str]] = {}  # message id -> its versions' ids
        self._stream: Stream | None = None
        self._model: LoadedModel | None = None
        self._remote: RemoteModel | None = None
        self._loading: str | None = None
        self._editing: Message | None = None
        self._collections: list[Collection] = []
        self._index_status: IndexStatus | None = None
        self._pending_collections: tuple[str, ...] = ()

    @property
    def settings(self) -> AppSettings:
        return self._settings

    @settings.setter
    def settings(self, value: AppSettings) -> None:
        self._settings = value
        self.settings_changed.emit()

    @property
    def conversations(self) -> list[Conversation]:
        return self._conversations

    @conversations.setter
    def conversations(self, value: list[Conversation]) -> None:
        self._conversations = value
        self.conversations_changed.emit()

    def conversation(self, conv_id: str | None) -> Conversation | None:
        """The current conversation, or the listed one with ``conv_id``."""
        if conv_id is None:
            return self._current
        return next((c for c in self._conversations if c.id == conv_id), None)

    @property
    def current(self) -> Conversation | None:
        return self._current

    @current.setter
    def current(self, value: Conversation | None) -> None:
        self._current = value
        self.conversation_changed.emit()

    def is_current(self, conv_id: str) -> bool:
        return self._current is not None and self._current.id == conv_id

    def set_thread(self, messages: list[Message], versions: dict[str, list[str]]) -> None:
        self.thread_messages = messages
        self.versions = versions
        self.thread_changed.emit()

    def append_message(self, message: Message) -> None:
        self.thread_messages.append(message)
        self.versions[message.id] = [message.id]
        self.thread_changed.emit()

    def put_message(self, message: Message) -> None:
        """Replace the message with the same id (a finished reply), or add it at the end."""
        ids = {m.id for m in self.thread_messages}
        self.thread_messages = [message if m.id == message.id else m for m in self.thread_messages]
        if message.id not in ids:
            self.thread_messages.append(message)
        self.thread_changed.emit()

    @property
    def stream(self) -> Stream | None:
        return self._stream

    @stream.setter
    def stream(self, value: Stream | None) -> None:
        self._stream = value
        self.stream_changed.emit()

    @property
    def model(self) -> LoadedModel | None:
        return self._model

    @model.setter
    def model(self, value: LoadedModel | None) -> None:
        self._model = value
        self.model_changed.emit()

    @property
    def remote(self) -> RemoteModel | None:
        """The server's model replies come from; ``None``: the local ``model``."""
        return self._remote

    @remote.setter
    def remote(self, value: RemoteModel | None) -> None:
        self._remote = value
        self.model_changed.emit()

    @property
    def has_model(self) -> bool:
        """Something can reply: a local model is loaded, or a server's model is chosen."""
        return self._model is not None or self._remote is not None

    @property
    def model_name(self) -> str | None:
        """The name replies are recorded under: the server's model id, or the local model's."""
        if self._remote is not None:
            return self._remote.model
        return self._model.info.name if self._model is not None else None

    @property
    def loading(self) -> str | None:
        """The path of the model being loaded, if one is."""
        return self._loading

    @loading.setter
    def loading(self, value: str | None) -> None:
        self._loading = value
        self.model_changed.emit()

    @property
    def editing(self) -> Message | None:
        return self._editing

    @editing.setter
    def editing(self, value: Message | None) -> None:
        self._editing = value
        self.editing_changed.emit()

    # -- documents ------------------------------------------------------------------------------

    @property
    def collections(self) -> list[Collection]:
        """Every document collection, as last listed by the documents worker."""
        return self._collections

    @collections.setter
    def collections(self, value: list[Collection]) -> None:
        self._collections = value
        self.documents_changed.emit()

    @property
    def index_status(self) -> IndexStatus | None:
        """What indexing is doing now (``None``: nothing)."""
        return self._index_status

    @index_status.setter
    def index_status(self, value: IndexStatus | None) -> None:
        self._index_status = value
        self.documents_changed.emit()

    @property
    def chosen_collections(self) -> tuple[str, ...]:
        """The collections the conversation on screen answers from; for a chat not started
        yet, the ones it will start with."""
        if self._current is not None:
            return self._current.collections
        return self._pending_collections

    @property
    def pending_collections(self) -> tuple[str, ...]:
        return self._pending_collections

    @pending_collections.setter
    def pending_collections(self, value: tuple[str, ...]) -> None:
        self._pending_collections = value
        self.documents_changed.emit()
