"""The one way dialogs build a combo box of choices: (label, data) pairs, one preselected."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from PySide6.QtWidgets import QComboBox


def choice_combo(choices: Iterable[tuple[str, object]], current: object = None) -> QComboBox:
    """`current` (compared with each choice's data) is selected; the first choice when absent.
    Enum data is stored as its value: Qt hands StrEnum item data back as plain str anyway."""
    combo = QComboBox()
    for label, data in choices:
        combo.addItem(label, data.value if isinstance(data, Enum) else data)
    combo.setCurrentIndex(max(0, combo.findData(current.value if isinstance(current, Enum) else current)))
    return combo


def enum_choices(kind: type[Enum]) -> list[tuple[str, object]]:
    """Members labelled by name: SAMPLE_RATE -> "Sample rate"."""
    return [(member.name.replace("_", " ").capitalize(), member) for member in kind]


# A recording's steady noise lowered as a repair's last step (Repair the recording…, Batch repair…).
REPAIR_NOISE_CHOICES = [("Keep the steady noise", None),
                        *((f"Lower the steady noise {db} dB (each channel's quietest frames)", float(db))
                          for db in (6, 12, 18))]
