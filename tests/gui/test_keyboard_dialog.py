"""View ▸ Customize keyboard shortcuts…: an action's keys set, cleared or put back, a key taken
from the action that had it, the changes kept for the next window and named in the F1 list."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence

from app.gui import keyboard
from app.gui.dialogs.keyboard_dialog import KeyboardDialog
from app.gui.main_window import MainWindow
from tests.gui.test_workflow import save_screenshot


def keys_of(window, name: str) -> list[str]:
    action = next(a for a in window.actions() if a.objectName() == name)
    return [k.toString(keyboard.PORTABLE) for k in action.shortcuts()]


def test_every_window_action_has_a_name_of_its_own(qtbot, window):
    names = [a.objectName() for a in keyboard.customizable(window.actions())]
    assert len(names) == len(set(names)) and {"Separate talkers", "Record", "Play"} <= set(names)


def test_a_new_key_replaces_the_actions_own_and_every_window_takes_it(qtbot, window):
    dialog = window.open_keyboard()
    dialog.select("Separate talkers")
    dialog.set_keys("Separate talkers", ["Ctrl+Shift+T"])
    assert dialog.table.item(dialog.names.index("Separate talkers"), 1).font().bold()
    dialog.accept()
    assert keys_of(window, "Separate talkers") == ["Ctrl+Shift+T"]
    assert window.stored.shortcut_changes() == {"Separate talkers": ["Ctrl+Shift+T"]}
    again = MainWindow()
    qtbot.addWidget(again)
    assert keys_of(again, "Separate talkers") == ["Ctrl+Shift+T"] and keys_of(again, "Record") == ["Shift+R"]


def test_a_key_another_action_had_is_taken_from_it_and_the_note_says_so(qtbot, window):
    dialog = window.open_keyboard()
    dialog.set_keys("Record", ["Ctrl+R"])
    assert dialog.keys["Separate talkers"] == [] and dialog.keys["Record"] == ["Ctrl+R"]
    assert dialog.note.text() == "Ctrl+R was the shortcut of Separate talkers, which now has no shortcut."
    dialog.select("Separate talkers")
    assert dialog.default_button.isEnabled() and not dialog.clear_button.isEnabled()
    dialog.default_button.click()
    assert dialog.keys["Separate talkers"] == ["Ctrl+R"] and dialog.keys["Record"] == []
    save_screenshot(dialog, "keyboard-dialog.png")
    dialog.reject()
    assert keys_of(window, "Record") == ["Shift+R"] and window.stored.shortcut_changes() == {}


def test_reset_all_puts_every_default_back(qtbot, window):
    dialog = window.open_keyboard()
    dialog.set_keys("Play", [])
    dialog.accept()
    assert keys_of(window, "Play") == []
    again = window.open_keyboard()
    again.reset_all()
    again.accept()
    assert keys_of(window, "Play") == ["Space"] and window.stored.shortcut_changes() == {}


def test_a_pressed_key_is_set_on_the_selected_action(qtbot, window):
    dialog = window.open_keyboard()
    dialog.select("History")
    dialog.key_edit.setKeySequence(QKeySequence("Ctrl+Shift+Y"))
    dialog.key_edit.editingFinished.emit()
    assert dialog.keys["History"] == ["Ctrl+Shift+Y"]
    dialog.reject()


def test_searching_shows_the_actions_whose_name_or_keys_match(qtbot, window):
    dialog = window.open_keyboard()
    dialog.search.setText("ctrl+shift+b")
    shown = [name for row, name in enumerate(dialog.names) if not dialog.table.isRowHidden(row)]
    assert shown == ["Batch separation"]
    dialog.search.setText("top frequency")
    shown = [dialog.table.item(row, 0).text() for row in range(len(dialog.names)) if not dialog.table.isRowHidden(row)]
    assert shown and all(path.startswith("View ▸ Top frequency ▸ ") for path in shown)
    dialog.reject()


def test_the_shortcut_list_shows_the_keys_changed_in_place_of_the_defaults(qtbot, window):
    window.stored.set_shortcut_changes({"Separate talkers": ["Ctrl+Shift+T"], "History": ["Ctrl+H"],
                                        "Gone in this version": ["F9"]})
    dialog = window.show_shortcuts()
    keys = [dialog.table.item(row, 0).text() for row in range(dialog.table.rowCount())]
    assert "Ctrl+Shift+T" in keys and "Ctrl + R" not in keys
    assert dialog.table.item(keys.index("Ctrl+Shift+T"), 0).toolTip().startswith("Changed from Ctrl + R")
    assert dialog.changed.text() == "Also changed: History: Ctrl+H."          # no row lists History
    dialog.customize_button.click()
    assert not dialog.isVisible()
    assert any(d.isVisible() for d in window.findChildren(KeyboardDialog))


def test_unusable_stored_shortcuts_fall_back_to_the_defaults(qtbot, window):
    from PySide6.QtCore import QSettings

    from app.gui.settings import APPLICATION, ORGANISATION

    QSettings(ORGANISATION, APPLICATION).setValue("keyboard/changes", "{not json")
    assert window.stored.shortcut_changes() == {}
    QSettings(ORGANISATION, APPLICATION).setValue("keyboard/changes", '{"Play": "Space"}')
    assert window.stored.shortcut_changes() == {}


def test_shortcuts_exported_here_are_imported_elsewhere(qtbot, window, tmp_path):
    dialog = window.open_keyboard()
    dialog.set_keys("Record", ["Ctrl+R"])
    dialog.export_keys(tmp_path / "keys.json")
    dialog.reject()
    other = window.open_keyboard()
    other.import_keys(tmp_path / "keys.json")
    assert other.keys["Record"] == ["Ctrl+R"] and other.keys["Separate talkers"] == []
    assert other.note.text().startswith(f"Took the shortcuts of {len(other.names)} actions from keys.json")
    other.accept()
    assert keys_of(window, "Record") == ["Ctrl+R"]


def test_an_imported_file_names_the_actions_this_version_lacks_and_a_bad_one_is_refused(qtbot, window, tmp_path):
    import json

    from app.gui.keyboard import KEYMAP_FORMAT

    (tmp_path / "old.json").write_text(json.dumps({"format": KEYMAP_FORMAT, "version": 1,
                                                   "shortcuts": {"Play": ["P"], "Gone": ["F9"]}}))
    (tmp_path / "bad.json").write_text('{"format": "something else"}')
    dialog = window.open_keyboard()
    dialog.import_keys(tmp_path / "old.json")
    assert dialog.keys["Play"] == ["P"] and dialog.note.text() == "Took the shortcuts of 1 action from old.json; " \
                                                                  "not here: Gone."
    before = dict(dialog.keys)
    dialog.import_keys(tmp_path / "bad.json")
    assert dialog.note.text().startswith("bad.json was not read: it is not a MeCo Studio shortcuts file")
    assert dialog.keys == before
    dialog.reject()
