"""Keyboard shortcuts the user has changed (View ▸ Customize keyboard shortcuts…, as Audacity's
Preferences ▸ Keyboard): each window action keeps its default keys beside it, and the changes,
stored as portable key text per action, are put on top in every window.

An action is known by its menu text without the accelerator's & and a closing ellipsis
("Separate talkers"), which stays the same while the action's shown text may change.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

DEFAULT_KEYS = "default_keys"       # the QAction property holding its keys as built
PORTABLE = QKeySequence.SequenceFormat.PortableText


def action_id(text: str) -> str:
    return text.replace("&", "").removesuffix("…").strip()


def register(action: QAction, keys: Iterable[QKeySequence]) -> None:
    """Name `action` and keep `keys` as its defaults."""
    action.setObjectName(action_id(action.text()))
    action.setProperty(DEFAULT_KEYS, [key.toString(PORTABLE) for key in keys])


def customizable(actions: Iterable[QAction]) -> list[QAction]:
    """The actions `register` named, in the order given."""
    return [action for action in actions if action.property(DEFAULT_KEYS) is not None]


def menu_path(action: QAction) -> str:
    """Where the action sits in the menus, as "View ▸ Top frequency ▸ 4 kHz" (the first menu it is
    in); its name alone when it is in none (a key of its own, such as an A/B lane's)."""
    menus = [o for o in action.associatedObjects() if isinstance(o, QMenu)]
    path = [action.objectName()]
    menu = menus[0] if menus else None
    while isinstance(menu, QMenu):
        path.insert(0, action_id(menu.title()))
        menu = menu.parent()
    return " ▸ ".join(path)


def default_keys(action: QAction) -> list[str]:
    return list(action.property(DEFAULT_KEYS) or [])


def apply(actions: Iterable[QAction], changed: Mapping[str, list[str]]) -> None:
    """Each action's keys: the `changed` ones where there are, else its defaults."""
    for action in customizable(actions):
        keys = changed.get(action.objectName(), default_keys(action))
        action.setShortcuts([QKeySequence(key) for key in keys])


def changes(keys: Mapping[str, list[str]], defaults: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """What is stored: the actions whose keys differ from their defaults."""
    return {name: list(chosen) for name, chosen in keys.items() if list(chosen) != list(defaults.get(name, []))}


def shown(keys: Iterable[str]) -> str:
    """Keys as this system writes them in menus ("Ctrl+Shift+R", "⌘⇧R" on a Mac)."""
    return ", ".join(QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText) for key in keys)


KEYMAP_FORMAT = "meco-studio keyboard shortcuts"


def keymap_text(keys: Mapping[str, list[str]]) -> str:
    """Every action's keys as a JSON file another machine's Import… reads."""
    return json.dumps({"format": KEYMAP_FORMAT, "version": 1, "shortcuts": dict(keys)}, indent=1,
                      ensure_ascii=False) + "\n"


def read_keymap(text: str) -> dict[str, list[str]]:
    """The actions' keys of a file `keymap_text` wrote; ValueError saying what is wrong with it."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"it is not JSON ({err.msg} at line {err.lineno})") from err
    if not isinstance(data, dict) or data.get("format") != KEYMAP_FORMAT:
        raise ValueError("it is not a MeCo Studio shortcuts file (View ▸ Customize keyboard shortcuts… ▸ Export…)")
    shortcuts = data.get("shortcuts")
    if not isinstance(shortcuts, dict) or not all(
            isinstance(keys, list) and all(isinstance(k, str) and not QKeySequence(k).isEmpty() for k in keys)
            for keys in shortcuts.values()):
        raise ValueError("its shortcuts are not a list of keys for each action")
    return {str(name): list(keys) for name, keys in shortcuts.items()}

