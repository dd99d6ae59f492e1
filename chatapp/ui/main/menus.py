"""The window's menu bar: every command, with its shortcut (they work without the menu open)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from chatapp.ui.i18n import translate

if TYPE_CHECKING:
    from chatapp.ui.main.window import MainWindow


def build_menus(window: MainWindow) -> None:
    """The File, Chat, Settings and Help menus; each action is also the window's shortcut."""
    side, chat = window.sidebar, window.chat_panel
    menu = window.menuBar()
    file = menu.addMenu(translate("Menus", "&File"))
    window.new_action = _action(
        window, file, translate("Menus", "&New chat"), QKeySequence.StandardKey.New, chat.new_chat
    )
    _action(
        window,
        file,
        translate("Menus", "&Open model…"),
        QKeySequence.StandardKey.Open,
        window.open_model_dialog,
    )
    _action(
        window,
        file,
        translate("Menus", "&Models: discover, download, library…"),
        QKeySequence("Ctrl+M"),
        window.open_models,
    )
    window.recent_menu = file.addMenu(translate("Menus", "&Recent models"))
    window.recent_menu.aboutToShow.connect(lambda: window.status.fill_recent(window.recent_menu))
    window.offline_action = QAction(translate("Menus", "Work o&ffline"), window)
    window.offline_action.setObjectName("workOffline")
    window.offline_action.setToolTip(
        translate("Menus", "Make no network requests: use the models on this computer")
    )
    window.offline_action.setCheckable(True)
    window.offline_action.setChecked(window.settings.offline)
    window.offline_action.toggled.connect(window._set_offline)
    file.addAction(window.offline_action)
    file.addSeparator()
    _action(
        window,
        file,
        translate("Menus", "&Export conversation…"),
        QKeySequence("Ctrl+Shift+E"),
        window.export_current,
    )
    _action(window, file, translate("Menus", "Export &all conversations…"), None, window.export)
    _action(
        window,
        file,
        translate("Menus", "&Import conversations…"),
        QKeySequence("Ctrl+Shift+I"),
        window.import_file,
    )
    file.addSeparator()
    _action(window, file, translate("Menus", "&Quit"), QKeySequence.StandardKey.Quit, window.close)
    menu_chat = menu.addMenu(translate("Menus", "&Chat"))
    _action(
        window,
        menu_chat,
        translate("Menus", "&Search"),
        QKeySequence.StandardKey.Find,
        side.focus_search,
    )
    _action(
        window,
        menu_chat,
        translate("Menus", "&Rename conversation"),
        QKeySequence(Qt.Key.Key_F2),
        side.rename_current,
    )
    _action(
        window,
        menu_chat,
        translate("Menus", "&Pin / unpin conversation"),
        QKeySequence("Ctrl+P"),
        side.toggle_pin,
    )
    _action(window, menu_chat, translate("Menus", "D&uplicate conversation"), None, side.duplicate)
    _action(
        window,
        menu_chat,
        translate("Menus", "&Delete conversation"),
        QKeySequence("Ctrl+Shift+Delete"),
        side.delete_current,
    )
    _action(
        window,
        menu_chat,
        translate("Menus", "S&ystem prompt…"),
        QKeySequence("Ctrl+Shift+S"),
        chat.edit_system_prompt,
    )
    _action(
        window,
        menu_chat,
        translate("Menus", "Prompt &library…"),
        QKeySequence("Ctrl+Shift+L"),
        window.open_prompts,
    )
    toggle = window.versions_dock.toggleViewAction()
    toggle.setText(translate("Menus", "&Versions tree"))
    toggle.setShortcut(QKeySequence("Ctrl+Shift+T"))
    toggle.setObjectName("versionsTreeAction")
    menu_chat.addAction(toggle)
    window.addAction(toggle)
    menu_chat.addSeparator()
    _action(
        window,
        menu_chat,
        translate("Menus", "S&top reply"),
        QKeySequence(Qt.Key.Key_Escape),
        chat.stop,
    )
    _action(
        window,
        menu_chat,
        translate("Menus", "Re&generate last reply"),
        QKeySequence("Ctrl+R"),
        lambda: chat.regenerate(None),
    )
    _action(
        window,
        menu_chat,
        translate("Menus", "C&ompare two replies…"),
        QKeySequence("Ctrl+Shift+K"),
        chat.compare,
    )
    _action(
        window,
        menu_chat,
        translate("Menus", "&Edit last message"),
        QKeySequence("Ctrl+E"),
        lambda: chat.edit_message(None),
    )
    settings = menu.addMenu(translate("Menus", "&Settings"))
    _action(
        window,
        settings,
        translate("Menus", "&Preferences…"),
        QKeySequence("Ctrl+,"),
        window.open_settings,
    )
    _action(
        window,
        settings,
        translate("Menus", "&Documents…"),
        QKeySequence("Ctrl+Shift+D"),
        window.open_documents,
    )
    _action(
        window, settings, translate("Menus", "Local &API server…"), None, window.open_api_server
    )
    _action(window, settings, translate("Menus", "&Servers…"), None, window.open_servers)
    help_menu = menu.addMenu(translate("Menus", "&Help"))
    _action(
        window,
        help_menu,
        translate("Menus", "&Keyboard shortcuts…"),
        QKeySequence.StandardKey.HelpContents,
        window.show_shortcuts,
    )
    _action(window, help_menu, translate("Menus", "&About chatapp"), None, window.about)


def _action(
    window: MainWindow,
    menu: QMenu,
    text: str,
    shortcut: QKeySequence | QKeySequence.StandardKey | None,
    slot: Callable[[], object],
) -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(shortcut)
    action.triggered.connect(lambda _checked=False: slot())
    menu.addAction(action)
    window.addAction(action)
    return action
