"""Process ▸ Separate with options…: which method, which microphones, which reference.

Ctrl+R separates at once with the choices last made here for the open recording (at first: the
trained separator on every channel, up to 8, estimated at channel 1; on a recording combined
from several recorders, one array's own channels). Here a user picks a
classical method to hear and score beside the model (AuxIVA, ILRMA), a subset of a larger
array's channels (the model takes up to 8), or another reference microphone: what
`meco-studio separate` takes as --method, --channels and --reference. A recording combined from
recorders placed apart (File ▸ Combine recorders into one array…) offers each recorder's own
channels by name, since one array's channels separate as well as all of them. Once the talkers have
clean references, the oracle ideal ratio mask is offered too: the ceiling to score against. The choices are checked as
they are typed, by the engine's own rule, and Separate waits until they are usable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from app.engine.combine import RecorderChannels
from app.engine.errors import AppError, ConfigError
from app.engine.files import MAX_CHANNELS, Recording
from app.engine.pipeline import ModelEntry
from app.engine.separation import (
    MAX_MODEL_MICS,
    METHOD_NAMES,
    Method,
    SeparateSettings,
    choose_channels,
)
from app.engine.timecode import format_span
from app.gui.dialogs.buttons import accept_cancel
from app.gui.dialogs.channel_choice import ChannelChoice
from app.gui.dialogs.choices import choice_combo

DESCRIPTIONS = {Method.AUXIVA: "classical blind separation (independent vector analysis)",
                Method.ILRMA: "classical blind separation (low-rank non-negative model)",
                Method.ORACLE: "the ceiling of masking, from the clean references (not a separator)"}


@dataclass(frozen=True)
class SeparationChoice:
    """What Ctrl+R runs on the open recording; `model` None: the separator chosen in Settings."""
    method: Method = Method.MODEL
    model: str | None = None
    channels: tuple[int, ...] | None = None      # 0-based; None: all
    reference: int = 0                           # 0-based
    spatial_filter: bool | None = None           # the model's mask-driven MWF; None: as its card recommends

    def settings(self, base: SeparateSettings) -> SeparateSettings:
        """`base` (device, chunk, the Settings' model) with this choice applied."""
        return SeparateSettings(method=self.method, model=self.model or base.model, reference_channel=self.reference,
                                channels=self.channels, chunk=base.chunk, spatial_filter=self.spatial_filter,
                                device=base.device)


class SeparationFields:
    """The method, channels and reference fields: this dialog's, and batch separation's, where
    `channels` is None (many recordings) and each file is checked when its turn comes."""

    def __init__(self, models: list[ModelEntry], choice: SeparationChoice, channels: int | None,
                 oracle: bool = False, recorders: tuple[RecorderChannels, ...] = ()) -> None:
        """`oracle`: offer the ideal ratio mask (every talker has a clean reference); `recorders`:
        a combined recording's, each offered by name with its own channels."""
        self.models = models
        others = [Method.AUXIVA, Method.ILRMA] + ([Method.ORACLE] if oracle else [])
        self._methods = [(Method.MODEL, entry.name) for entry in models] + [(m, None) for m in others]
        labels = [entry.summary for entry in models] + [f"{METHOD_NAMES[m]}: {DESCRIPTIONS[m]}" for m in others]
        chosen = (choice.method, choice.model)
        self.method = choice_combo(((label, k) for k, label in enumerate(labels)),
                                   self._methods.index(chosen) if chosen in self._methods else 0)
        self.pick = ChannelChoice(choice.channels, recorders,
                                  f"all, up to {MAX_MODEL_MICS}" if channels is None else
                                  f"all {channels}" if channels <= MAX_MODEL_MICS else
                                  f"up to {MAX_MODEL_MICS} of {channels}, e.g. 1-{MAX_MODEL_MICS}")
        self.channels, self.recorder = self.pick.channels, self.pick.recorder
        self.recorder.setToolTip("The recorders this recording was combined from: one array's own channels "
                                 "separate as well as all of them, as their spatial cues are an array's")
        self.reference = QSpinBox(minimum=1, maximum=channels or MAX_CHANNELS, value=choice.reference + 1,
                                  prefix="channel ")
        self.reference.setToolTip("The microphone at which each talker is estimated; it is always used.")
        self.spatial = choice_combo([("As the model's card recommends", None),
                                     ("Mask-driven multichannel Wiener filter", True),
                                     ("The network's masks only", False)], choice.spatial_filter)
        self.spatial.setToolTip("A trained separator's masks can steer a multichannel Wiener filter over the "
                                "channels (--spatial-filter / --no-spatial-filter from a terminal)")
        self.recorder.activated.connect(self._move_reference)
        self.method.currentIndexChanged.connect(self._enable)
        self._enable()

    def add_rows(self, form: QFormLayout) -> None:
        form.addRow("Method", self.method)
        if not self.models:
            form.addRow("", QLabel("No trained separator is installed; AuxIVA and ILRMA need none."))
        self.pick.add_rows(form)
        form.addRow("Reference", self.reference)
        form.addRow("Spatial filter", self.spatial)

    def on_change(self, slot: Callable[[], None]) -> None:
        self.method.currentIndexChanged.connect(slot)
        self.channels.textChanged.connect(slot)
        self.reference.valueChanged.connect(slot)
        self.spatial.currentIndexChanged.connect(slot)

    def _move_reference(self, index: int) -> None:
        """Onto the recorder chosen, when the reference lay elsewhere."""
        channels = self.pick.recorder_channels(index)
        if channels is not None and self.reference.value() - 1 not in channels:
            self.reference.setValue(channels[0] + 1)

    def _enable(self) -> None:
        method, model = self._methods[self.method.currentData()]
        self.spatial.setEnabled(method is Method.MODEL)
        cards = {entry.name: entry.card for entry in self.models}
        if model in cards:
            recommended = cards[model].get("inference", {}).get("spatial_filter", False)
            self.spatial.setItemText(0, f"As the model's card recommends ({'on' if recommended else 'off'})")
        self.pick.set_enabled(method is not Method.ORACLE)      # the oracle masks the reference mic alone

    def set_method(self, method: Method, model: str | None = None) -> None:
        self.method.setCurrentIndex(self._methods.index((method, model)))

    def choice(self) -> SeparationChoice:
        """The choice as typed; ConfigError when the channel list cannot be read."""
        method, model = self._methods[self.method.currentData()]
        return SeparationChoice(method, model, self.pick.chosen(), self.reference.value() - 1,
                                self.spatial.currentData() if method is Method.MODEL else None)


class SeparateDialog(QDialog):
    def __init__(self, recording: Recording, models: list[ModelEntry], choice: SeparationChoice,
                 span: tuple[float, float] | None, references: int = 0, parent: QWidget | None = None,
                 recorders: tuple[RecorderChannels, ...] = ()) -> None:
        """`references`: how many talkers, from talker 1 on, have a clean reference (the oracle needs two);
        `recorders`: those a combined recording's channels came from (`recorders_in`)."""
        super().__init__(parent)
        self.setWindowTitle("Separate talkers")
        self.recording, self.references = recording, references
        self.fields = SeparationFields(models, choice, recording.channels, oracle=references >= 2,
                                       recorders=recorders)
        self.summary = QLabel(wordWrap=True)
        self.summary.setMinimumWidth(420)
        self.summary.setMinimumHeight(4 * self.summary.fontMetrics().lineSpacing())   # the longest, without resizing

        form = QFormLayout()
        self.fields.add_rows(form)
        if span is not None:
            form.addRow("Range", QLabel(f"the selection, {format_span(*span)}"))
        form.addRow("", self.summary)
        self.buttons, self.run_button = accept_cancel(self, "Separate")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.fields.on_change(self._refresh)
        self._refresh()

    def choice(self) -> SeparationChoice:
        """The choice as typed; ConfigError or ChannelLayoutError says what is wrong with it."""
        choice = self.fields.choice()
        if choice.channels is None and choice.method is Method.MODEL and self.recording.channels > MAX_MODEL_MICS:
            raise ConfigError(f"{self.recording.name} has {self.recording.channels} channels and the separator uses "
                              f"at most {MAX_MODEL_MICS}: list the ones to use above (e.g. 1-{MAX_MODEL_MICS}).")
        self._used(choice)
        return choice

    def _used(self, choice: SeparationChoice) -> tuple[list[int], list[str]]:
        settings = choice.settings(SeparateSettings())
        if choice.method is Method.ORACLE:           # the reference mic alone
            settings = replace(settings, channels=(choice.reference,))
        minimum = 2 if choice.method in (Method.AUXIVA, Method.ILRMA) else 1
        return choose_channels(self.recording, settings, minimum=minimum)

    def _refresh(self) -> None:
        try:
            choice = self.choice()
        except AppError as err:
            self.summary.setText(str(err))
            self.run_button.setEnabled(False)
            return
        if choice.method is Method.ORACLE:
            talkers = ", ".join(str(k + 1) for k in range(self.references))
            self.summary.setText(f"Masks channel {choice.reference + 1} with the clean references of talkers "
                                 f"{talkers}, which should be those talkers as that microphone hears them (as the "
                                 "demos' are): what masking could reach at best, to score the separators against.")
            self.run_button.setEnabled(True)
            return
        used, notices = self._used(choice)
        names = ", ".join(str(c + 1) for c in used)
        self.summary.setText(" ".join([f"Uses {len(used)} of {self.recording.channels} channels ({names}); each "
                                       f"talker is estimated at channel {choice.reference + 1}."] + notices))
        self.run_button.setEnabled(True)
