"""The one way dialogs build a combo box of choices: (label, data) pairs, one preselected."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import Enum

from PySide6.QtWidgets import QCheckBox, QComboBox

from app.engine.enhancement import EnhanceSettings
from app.engine.noise_reduction import NoiseSettings
from app.engine.restoration import Restoration


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
ENHANCER = "enhancer:"          # a repair noise choice's data: this, then the enhancer's name


def repair_noise_choices(enhancers: Sequence[str]) -> list[tuple[str, object]]:
    """`REPAIR_NOISE_CHOICES`, then each installed speech enhancer taking the noise out instead."""
    return REPAIR_NOISE_CHOICES + [(f"Take the noise out with {name} (a speech enhancer, every channel)",
                                    f"{ENHANCER}{name}") for name in enhancers]


def repairs_chosen(declip: QCheckBox, dropouts: QCheckBox, declick: QCheckBox, dereverb: QCheckBox,
                   noise: QComboBox, dehum: QCheckBox) -> Restoration:
    """The repairs a dialog's boxes choose (Repair the recording…, Batch repair…), its noise choice
    (`repair_noise_choices`) as the gate's or an enhancer's step."""
    data = noise.currentData()
    gate, enhance = None, None
    if isinstance(data, str) and data.startswith(ENHANCER):
        enhance = EnhanceSettings(model=data.removeprefix(ENHANCER))
    elif data is not None:
        gate = NoiseSettings(reduction_db=float(data))
    return Restoration(declip=declip.isChecked(), dropouts=dropouts.isChecked(), declick=declick.isChecked(),
                       dereverb=dereverb.isChecked(), noise=gate, dehum=dehum.isChecked(), enhance=enhance)
