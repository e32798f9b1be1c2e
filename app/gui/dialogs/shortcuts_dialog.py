"""Help: every keyboard and mouse shortcut in one table, with the keys the user changed (View ▸
Customize keyboard shortcuts…) in bold in place of the defaults, and any other change said under it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

ROW_PIXELS = 26

SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("Space", "Play / pause; with a selection, play it once"),
    ("Click", "Move the playhead there"),
    ("Drag", "Select a time range"),
    ("Shift + click, Shift + Home / End", "Extend the selection to there, or to the start / end (from the "
                                          "playhead without one)"),
    ("Ctrl + drag on a spectrogram", "Select an area: a frequency band over a time range (Space then plays "
                                     "that band alone)"),
    ("Shift + B", "With an area selected, hear all but its band instead (what attenuating it would leave)"),
    ("Drag a label's edge", "Move that edge of the label (on a waveform row)"),
    ("Right click", "A version's menu on its track (or its Versions panel row); the selection's on the channels"),
    ("L", "Loop the selection on / off"),
    ("Shift + F5 / F6", "Play the second up to / from the selection's start (the playhead without one)"),
    ("Shift + F7 / F8", "Play the second up to the selection's end / after it: does a mend join its surroundings?"),
    ("Esc", "Clear the selection"),
    ("Ctrl + A", "Select the whole recording"),
    ("Ctrl + Shift + J", "Select a range by typing its start and end"),
    ("Ctrl + B", "Add a label: the selection, or the playhead without one (then type its text)"),
    ("Alt + → / Alt + ←", "Select the next / previous label (the playhead goes to its start)"),
    ("+ / −  (or =)", "Zoom in / out around the playhead"),
    ("Ctrl + wheel", "Zoom at the mouse"),
    ("Wheel, ← / →", "Scroll in time"),
    ("Shift + drag, middle drag", "Pan"),
    ("Shift + ↑ / Shift + ↓", "Spectrograms: show a lower band closer (1 kHz at most) / a higher one (View ▸ Top "
                              "frequency)"),
    ("Shift + P", "Pitch track: draw each channel's and version's F0 over its spectrogram (View ▸ Pitch track)"),
    ("Home / End", "Go to the start / end"),
    ("Z", "Zoom to the selection"),
    ("Ctrl + 0", "Show the whole recording"),
    ("Ctrl + O", "Open a recording (or drop a file on the window)"),
    ("Ctrl + N", "A new window, for another recording side by side"),
    ("Shift + R", "Record a take from an input device (a microphone array)"),
    ("Ctrl + R", "Separate talkers (a job: progress, time left and Cancel in the status bar and Jobs panel)"),
    ("Ctrl + Alt + R", "Separate with options: the method (a trained separator, AuxIVA, ILRMA), the channels, the "
                       "reference; Ctrl + R then repeats them for this recording"),
    ("Ctrl + Shift + B", "Batch separation: many recordings to talker tracks on disk, as one job"),
    ("Ctrl + M", "Correct the latest estimate of each talker (separated or imported) with MeCo"),
    ("Ctrl + Shift + E", "Enhance the latest separated talkers with a distilled student"),
    ("Ctrl + Shift + M", "Evaluate versions (SI-SDR, PESQ-WB, ESTOI, DNSMOS)"),
    ("Ctrl + Shift + X", "Swap two talkers over the selection: mends a separator's talker swap (the versions "
                         "selected in the Versions panel, else the newest pair)"),
    ("Ctrl + L", "Silence the selection in the versions selected in the Versions panel (else in the one A/B "
                 "plays), as new versions in their place"),
    ("Ctrl + Shift + G", "Change the level of the selection in the same versions (Audacity's Amplify)"),
    ("Ctrl + Shift + N", "Reduce the steady noise of the same versions, learnt from a stretch of noise alone (Edit ▸ "
                         "Learn the noise profile from the selection) or from their quietest frames"),
    ("Ctrl + Shift + F", "Attenuate a frequency band over a time range (the area Ctrl+dragged, or typed) in the "
                         "same versions: a hum, a whistle, a ring"),
    ("Ctrl + Shift + L", "Label talker activity: who speaks when, from the separated talkers"),
    ("Ctrl + Shift + A", "Analyze levels, loudness and spectrum of every channel and version (the selection, if any)"),
    ("Ctrl + Shift + D", "Track the delay between two channels over time (the selection, if any): a line per talker"),
    ("Ctrl + I", "DISPatch inspector"),
    ("1 … 9", "A/B: listen to lane 1 … 9 from the same position (1: the mixture)"),
    ("Double-click a track", "A/B: listen to that version (switching to its talker)"),
    ("T", "A/B: toggle the last two lanes"),
    ("Shift + L", "A/B: loudness matching on / off (true levels)"),
    ("Ctrl + Shift + H", "Blind A/B: rate the talker's versions under shuffled letters, then reveal them"),
    ("[ / ]", "Play slower / faster (0.5× to 2×, pitch kept): the channels and A/B alike"),
    ("Ctrl + Z / Ctrl + Shift + Z (or Ctrl + Y)", "Undo / redo an edit of the versions (a run, rename, hide, remove)"),
    ("Ctrl + E", "Export versions"),
    ("Ctrl + S / Ctrl + Shift + S / Ctrl + Shift + O", "Save / save as / open a session"),
    ("Ctrl + Shift + R", "Load a clean reference for the A/B talker"),
    ("Ctrl + ,", "Settings"),
    ("F1", "This list"),
    ("Ctrl + Q", "Quit"),
)


class ShortcutsDialog(QDialog):
    def __init__(self, parent=None, changed: dict[str, tuple[str, str]] | None = None) -> None:
        """`changed`: for each action whose keys the user changed, its default key and its keys now,
        as shown ("Separate talkers": ("Ctrl+R", "Ctrl+Shift+T")): the row listing the default key
        shows the keys now instead; an action no row lists is named under the table."""
        super().__init__(parent)
        self.setWindowTitle("Keyboard and mouse shortcuts")
        changed = changed or {}
        now_by_default = {default: (name, now) for name, (default, now) in changed.items()}
        self.table = table = QTableWidget(len(SHORTCUTS), 2, self)
        table.setHorizontalHeaderLabels(["Shortcut", "Action"])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        shown_in_rows = set()
        for row, (keys, action) in enumerate(SHORTCUTS):
            item = QTableWidgetItem(keys)
            if (found := now_by_default.get(keys.replace(" + ", "+"))) is not None:
                name, now = found
                shown_in_rows.add(name)
                item.setText(now or "none")
                item.setToolTip(f"Changed from {keys} (View ▸ Customize keyboard shortcuts…)")
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            table.setItem(row, 0, item)
            table.setItem(row, 1, QTableWidgetItem(action))
        table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        table.verticalHeader().setDefaultSectionSize(ROW_PIXELS)
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        self.customize_button = buttons.addButton("Customize…", QDialogButtonBox.ButtonRole.ActionRole)
        self.customize_button.setToolTip("Change an action's keys (View ▸ Customize keyboard shortcuts…)")
        said = "; ".join(f"{name}: {now or 'none'}" for name, (_, now) in changed.items() if name not in shown_in_rows)
        self.changed = QLabel(f"Also changed: {said}." if said else "", wordWrap=True, visible=bool(said))
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(self.changed)
        layout.addWidget(buttons)
        self.resize(540, ROW_PIXELS * len(SHORTCUTS) + 100)   # every row visible, no scrolling
