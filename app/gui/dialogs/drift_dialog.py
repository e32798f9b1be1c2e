"""Delays ▸ Take out the drift…: which channels were recorded on the drifting clock. The copy
resamples them back onto the reference channel's clock (`app.engine.clock_drift`) and copies the
others as they are; the channel measured against the reference starts checked (in a recording
combined from several recorders, every channel of its recorder, each named for its recorder)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QCheckBox, QDialog, QGridLayout, QLabel, QVBoxLayout, QWidget

from app.engine.combine import RecorderChannels
from app.gui.dialogs.buttons import accept_cancel
from app.gui.names import for_recorder

COLUMNS = 4                  # checkboxes a row


class DriftDialog(QDialog):
    def __init__(self, channels: int, reference: int, measured: int, ppm: float, error_ppm: float,
                 parent: QWidget | None = None, recorders: Sequence[RecorderChannels] = ()) -> None:
        super().__init__(parent)
        self.setWindowTitle("Take out the clock drift")
        pace = "fast" if ppm > 0 else "slow"
        text = QLabel(f"Channel {measured + 1} drifts {ppm:+.2f} ± {error_ppm:.2f} ppm against channel "
                      f"{reference + 1}: its recorder's clock runs {pace}. A copy resamples the channels recorded on "
                      f"that clock onto channel {reference + 1}'s, with the delays they had at the start, and copies "
                      "the others as they are.\n\nWhich channels were recorded on the drifting clock?", wordWrap=True)
        self.boxes = []
        grid = QGridLayout()
        drifting = next((r.channels for r in recorders if measured in r.channels), (measured,))
        for channel in range(channels):
            box = QCheckBox(for_recorder(f"Channel {channel + 1}", channel, recorders))
            box.setChecked(channel in drifting and channel != reference)
            box.setEnabled(channel != reference)
            box.toggled.connect(self._update)
            grid.addWidget(box, channel // COLUMNS, channel % COLUMNS)
            self.boxes.append(box)
        self.buttons, self.accept_button = accept_cancel(self, "Save copy…")
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(grid)
        layout.addWidget(self.buttons)
        self.resize(520, self.sizeHint().height())

    def chosen(self) -> list[int]:
        """The channels to resample (0-based)."""
        return [c for c, box in enumerate(self.boxes) if box.isChecked()]

    def _update(self) -> None:
        self.accept_button.setEnabled(bool(self.chosen()))
