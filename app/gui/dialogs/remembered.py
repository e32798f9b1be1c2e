"""A dialog's choices kept from one opening to the next, as Audacity's and RX's dialogs open as they
were last used: its check boxes, lists and text fields (an output folder), each under a name, as
text (`StoredSettings.dialog_choices`). A list's choice is kept by its words, so one that a later
version renamed or dropped, or a box that is disabled now (MeCo not installed), keeps what the
dialog chose."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit

Remembered = dict[str, QCheckBox | QComboBox | QLineEdit]


def choices_of(widgets: Remembered) -> dict[str, str]:
    """Each widget's choice as text: "true"/"false", the list's chosen words, or the field's text."""
    return {name: ("true" if widget.isChecked() else "false") if isinstance(widget, QCheckBox)
            else widget.text() if isinstance(widget, QLineEdit) else widget.currentText()
            for name, widget in widgets.items()}


def put_choices(widgets: Remembered, choices: dict[str, str]) -> None:
    """Set each enabled widget to its stored choice, where one is stored and still offered."""
    for name, widget in widgets.items():
        value = choices.get(name)
        if value is None or not widget.isEnabled():
            continue
        if isinstance(widget, QCheckBox):
            if value in ("true", "false"):
                widget.setChecked(value == "true")
        elif isinstance(widget, QLineEdit):
            if value.strip():
                widget.setText(value)
        elif (index := widget.findText(value)) >= 0:
            widget.setCurrentIndex(index)
