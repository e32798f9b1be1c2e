"""Edit ▸ the mends of versions: swap two talkers, silence the selection or change its level,
silence each talker between its turns, attenuate a frequency band over a range, reduce steady
noise, remove mains hum, blend with the mixture. Each runs as a job (hours of audio to copy) and
puts its new versions in place of the originals, hidden, as one undo step
(`app.engine.version_edits`, `app.engine.spectral_edits`, `app.engine.noise_reduction`, …)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from app.engine.alignment import describe_shift
from app.engine.blend import blend_job, blend_preview_job, check_blend
from app.engine.clicks import ClickSettings, declick_job
from app.engine.dehum import dehum_job
from app.engine.documents import Version, VersionKind
from app.engine.errors import ConfigError
from app.engine.files import Recording
from app.engine.inpainting import check_repair_span, repair_job
from app.engine.jobs import Job
from app.engine.noise_reduction import NoiseFrom, NoiseSettings, check_profile_span, preview_job, reduce_noise_job
from app.engine.preview import Seconds, preview_span
from app.engine.spectral_edits import AROUND, Gain, attenuate_job, check_area
from app.engine.spectral_edits import preview_job as attenuated_preview_job
from app.engine.timecode import format_span
from app.engine.time_align import align_job
from app.engine.version_edits import fade_job, outside, silence_job, swap_job, swap_pair
from app.engine.workflow import version_span
from app.gui.dialogs import band_dialog, blend_dialog, level_dialog
from app.gui.dialogs.band_dialog import BandDialog
from app.gui.dialogs.blend_dialog import BlendDialog
from app.gui.dialogs.level_dialog import LevelDialog
from app.gui.dialogs.noise_dialog import NoiseDialog
from app.gui.dialogs.preview_row import PreviewRow
from app.gui.views.axes import format_hz
from app.gui.preview_wiring import wire_preview, with_rate
from app.gui.workers import WorkerSet

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow
    from app.gui.workers import JobEntry


D = TypeVar("D", bound=QDialog)


def _shown(dialog: D, on_accepted: Callable[[], object]) -> D:
    """`dialog` shown non-modal (the window stays usable), `on_accepted` run when it is accepted,
    deleted when it closes."""
    dialog.accepted.connect(on_accepted)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


class EditsController:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.band_db: Gain = band_dialog.DEFAULT_DB     # the dialogs offer the last level again
        self.blend_db = blend_dialog.DEFAULT_DB
        self.level_db = level_dialog.DEFAULT_DB
        self.noise_settings = NoiseSettings()
        self._previews = WorkerSet()
        self.noise_span: tuple[float, float] | None = None     # where the noise profile is learnt

    def new_recording(self) -> None:
        """Another recording opened: a noise profile's span belongs to the recording it was learnt on."""
        self.noise_span = None

    def swap_talkers(self) -> JobEntry | None:
        """Two versions (those selected in the Versions panel, else the newest pair) exchange their
        audio over the selection, mending a separator's talker swap."""
        window = self.window
        selection, recording = window.view.selection, window.recording
        if recording is None or selection is None:
            return None
        try:
            first, second = swap_pair(window.session.versions, window.versions_panel.selected_ids())
        except ConfigError as err:
            window.show_error("Cannot swap talkers", str(err))
            return None
        what = f"swap talkers {first.talker + 1} and {second.talker + 1} over {format_span(*selection)}"
        return window.jobs.submit(f"Swap “{first.name}” and “{second.name}”",
                                  lambda: swap_job(first, second, selection),
                                  lambda versions: self._mend(recording, [first.id, second.id], versions, what))

    def _chosen(self, doing: str) -> list[Version]:
        """The versions selected in the Versions panel, else the one A/B plays, as Audacity's effects
        apply to the selected tracks; none (and a message) when there is neither."""
        window = self.window
        chosen = [window.session.find(i) for i in window.versions_panel.selected_ids()]
        playing = window.ab.version_id()
        if not chosen and playing is not None:
            chosen = [window.session.find(playing)]
        if not chosen:
            window.show_error(f"Cannot {doing}", f"Select the versions to {doing} in the Versions panel (or listen to "
                              "one with A/B).")
        return chosen

    def _chosen_over_selection(self, doing: str) -> tuple[Recording, tuple[float, float], list[Version]] | None:
        """The recording, its selection and the versions to `doing` over it (`_chosen`); None when
        one is missing."""
        recording, selection = self.window.recording, self.window.view.selection
        if recording is None or selection is None:
            return None
        chosen = self._chosen(doing)
        return (recording, selection, chosen) if chosen else None

    def silence_selection(self) -> JobEntry | None:
        """Silence the selection in the chosen versions, as Audacity's Silence Audio does; an area
        (a band over the range) is removed alone, as RX deletes a spectral selection."""
        found = self._chosen_over_selection("silence")
        if found is None:
            return None
        recording, selection, chosen = found
        if self.window.view.band is not None:
            return self.attenuate_band(chosen, selection, self.window.view.band, -math.inf)
        what = f"silence {format_span(*selection)} in {len(chosen)} version(s)"
        return self._silence(recording, chosen, [[selection]] * len(chosen), what)

    def fade_selection(self, rising: bool) -> JobEntry | None:
        """Fade the chosen versions in (`rising`) or out over the selection, as Audacity's Fade In
        and Fade Out do: new versions in their place."""
        found = self._chosen_over_selection("fade")
        if found is None:
            return None
        recording, selection, chosen = found
        what = f"fade {'in' if rising else 'out'} {format_span(*selection)} in {len(chosen)} version(s)"
        return self._mend_job(recording, chosen, what, lambda: fade_job(chosen, selection, rising))

    def repair_selection(self) -> JobEntry | None:
        """Redraw the chosen versions over the selection from the sound either side, as Audacity's
        Repair does over a click or a dropout: new versions in their place. A selection too long
        to redraw is said at once."""
        found = self._chosen_over_selection("repair")
        if found is None:
            return None
        recording, selection, chosen = found
        try:
            check_repair_span(selection)
        except ConfigError as err:
            self.window.show_error("Cannot repair the selection", str(err))
            return None
        what = f"repair {format_span(*selection)} in {len(chosen)} version(s)"
        return self._mend_job(recording, chosen, what, lambda: repair_job(chosen, selection))

    def remove_hum(self) -> JobEntry | None:
        """The chosen versions with their mains hum notched out, in their place; a version with no
        hum to find is named and nothing is changed."""
        recording = self.window.recording
        chosen = self._chosen("remove hum from") if recording is not None else []
        if not chosen:
            return None
        what = f"remove the hum from {len(chosen)} version(s)"
        return self._mend_job(recording, chosen, what, lambda: dehum_job(chosen), self._say_dehummed)

    def remove_clicks(self, settings: ClickSettings = ClickSettings()) -> JobEntry | None:
        """The chosen versions with every click redrawn (over the selection, or the whole of each), as
        RX's De-click does: new versions in place of those that had any; the status bar says how many
        each had, and names those with none."""
        window, recording = self.window, self.window.recording
        chosen = self._chosen("remove clicks from") if recording is not None else []
        if not chosen:
            return None
        span = window.view.selection
        where = "" if span is None else f" over {format_span(*span)}"
        what = f"remove clicks from {len(chosen)} version(s){where}"

        def done(found: list[tuple[Version | None, int]]) -> None:
            mended = [version for version, _ in found if version is not None]
            said = "; ".join(f"{v.name}: {count or 'no'} click{'s' if count != 1 else ''}{' redrawn' if count else ''}"
                             for v, (_, count) in zip(chosen, found))
            if mended and not self._mend(recording, [v.settings["mended_from"] for v in mended], mended, what):
                return
            window.statusBar().showMessage(said + ("" if mended else f"{where} (sensitivity {settings.sensitivity:g}): "
                                                   "nothing changed"), 10_000)

        return window.jobs.submit(what[0].upper() + what[1:], lambda: declick_job(chosen, span, settings), done)

    def learn_noise_profile(self) -> tuple[float, float] | None:
        """The selection becomes the span that Reduce noise learns each version's noise from (Audacity's
        Get Noise Profile); checked against the chosen versions at once, so a span of silence or one
        too short is said now rather than when the reduction runs."""
        found = self._chosen_over_selection("learn the noise of")
        if found is None:
            return None
        _, selection, chosen = found
        try:
            check_profile_span(chosen, selection)
        except ConfigError as err:
            self.window.show_error("Cannot learn the noise profile", str(err))
            return None
        self.noise_span = selection
        self.window.statusBar().showMessage(f"Noise profile: {format_span(*selection)} of each version; now choose "
                                            "what to reduce and Edit ▸ Reduce noise…", 10_000)
        return selection

    def open_reduce_noise(self) -> NoiseDialog | None:
        """The noise reduction dialog for the chosen versions (non-modal)."""
        window = self.window
        chosen = self._chosen("reduce the noise of") if window.recording is not None else []
        if not chosen:
            return None
        dialog = NoiseDialog([v.name for v in chosen], self.noise_span, window.view.selection, self.noise_settings,
                             window)
        self._wire_preview(dialog, dialog.preview, chosen, lambda version, heard: preview_job(
            version, dialog.settings(), dialog.noise_from(), dialog.span(), heard, dialog.preview_removed.isChecked()),
            lambda _: dialog.span())
        return _shown(dialog, lambda: self.reduce_noise(chosen, dialog.settings(), dialog.noise_from(),
                                                        dialog.span()))

    def _wire_preview(self, dialog: QDialog, row: PreviewRow, chosen: list[Version],
                      make: Callable[[Version, Seconds], Job[np.ndarray]],
                      span: Callable[[Version], Seconds | None]) -> None:
        """`row`'s Play works out `make(version, heard)` for the version the row names, over the
        `preview_span` of `span(version)` (what the effect changes), and plays it (`wire_preview`)."""
        def heard(target: int, playhead: float) -> Job[tuple[np.ndarray, int]]:
            version = chosen[target]                                        # `make` runs here, on the GUI thread
            return with_rate(make(version, preview_span(version.seconds, span(version), playhead)),
                             version.sample_rate)

        wire_preview(self.window, self._previews, dialog, row, heard)

    def reduce_noise(self, chosen: list[Version], settings: NoiseSettings, noise_from: NoiseFrom,
                     span: tuple[float, float] | None) -> JobEntry | None:
        """`chosen` with their noise lowered over `span` (all of them without one), each by its own
        profile (learnt over a span, else from its quietest frames: found in the job, where a version
        with too little sound fails it by name before any is changed) or its noise tracked."""
        recording = self.window.recording
        self.noise_settings = settings            # offered again next time
        if recording is None:
            return None
        try:
            settings.check()
            if isinstance(noise_from, tuple):
                check_profile_span(chosen, noise_from)
        except ConfigError as err:
            self.window.show_error("Cannot reduce the noise", str(err))
            return None
        over = f" over {format_span(*span)}" if span is not None else ""
        what = f"reduce the noise of {len(chosen)} version(s){over} by {settings.reduction_db:g} dB"
        return self._mend_job(recording, chosen, what, lambda: reduce_noise_job(chosen, settings, noise_from, span))

    def _say_dehummed(self, versions: list[Version]) -> None:
        found = [v.settings["hum_removed"] for v in versions]
        self.window.statusBar().showMessage("; ".join(
            f"{v.name}: {h['hz']:g} Hz and {h['lines'] - 1} harmonics, {h['prominence_db']:g} dB above their "
            "surroundings" for v, h in zip(versions, found)), 10_000)

    def align_with_mixture(self) -> JobEntry | None:
        """Shift the chosen versions to the mixture's timing and polarity (an imported estimate from
        a system with latency), as new versions in their place."""
        recording = self.window.recording
        chosen = self._chosen("align") if recording is not None else []
        if not chosen:
            return None
        what = f"align {len(chosen)} version(s) with the mixture"
        return self._mend_job(recording, chosen, what, lambda: align_job(chosen, recording), self._say_aligned)

    def _say_aligned(self, versions: list[Version]) -> None:
        moves = []
        for version in versions:
            shift, flipped = version.settings["aligned"]["shift_ms"], version.settings["aligned"]["polarity_flipped"]
            moves.append(f"{version.name}: {describe_shift(shift)}{', polarity flipped' if flipped else ''}")
        self.window.statusBar().showMessage("; ".join(moves), 10_000)

    def open_change_level(self) -> LevelDialog | None:
        """The level dialog for the chosen versions over the selection (non-modal)."""
        window = self.window
        selection = window.view.selection
        chosen = self._chosen("change") if window.recording is not None and selection is not None else []
        if not chosen:
            return None
        dialog = LevelDialog([v.name for v in chosen], selection, self.level_db, window)
        return _shown(dialog, lambda: self.change_level(chosen, selection, dialog.gain_db()))

    def change_level(self, chosen: list[Version], span: tuple[float, float], gain_db: float) -> JobEntry | None:
        """`chosen` raised or lowered by `gain_db` over `span`, in their place (Audacity's Amplify)."""
        recording = self.window.recording
        self.level_db = gain_db
        if recording is None:
            return None
        what = f"change the level of {format_span(*span)} by {gain_db:+g} dB in {len(chosen)} version(s)"
        return self._silence(recording, chosen, [[span]] * len(chosen), what, gain_db)

    def open_attenuate_band(self) -> BandDialog | None:
        """The band dialog for the chosen versions, filled from the area dragged on a spectrogram
        (else the selection); non-modal, so the window stays usable while it is open."""
        window = self.window
        chosen = self._chosen("attenuate") if window.recording is not None else []
        if not chosen:
            return None
        nyquist = max(v.sample_rate for v in chosen) / 2           # a version's, not the recording's
        dialog = BandDialog([v.name for v in chosen], window.duration(), nyquist, window.view.selection,
                            window.view.band, self.band_db, window)
        self._wire_preview(dialog, dialog.preview, chosen, lambda version, heard: attenuated_preview_job(
            version, dialog.span(), dialog.band(), dialog.gain_db(), heard, dialog.preview_removed.isChecked()),
            lambda _: dialog.span())
        return _shown(dialog, lambda: self._on_band_accepted(chosen, dialog))

    def _on_band_accepted(self, chosen: list[Version], dialog: BandDialog) -> None:
        self.band_db = dialog.gain_db()           # offered again next time
        self.attenuate_band(chosen, dialog.span(), dialog.band(), self.band_db)

    def attenuate_band(self, chosen: list[Version], span: tuple[float, float], band: tuple[float, float],
                       gain_db: Gain) -> JobEntry | None:
        """`chosen` with `band` (Hz) at `gain_db` over `span` (seconds): a hum, a whistle or a band
        of crosstalk gone, the rest of the spectrum kept."""
        window, recording = self.window, self.window.recording
        if recording is None:
            return None
        try:
            check_area(chosen, span, band, gain_db)
        except ConfigError as err:
            window.show_error("Cannot attenuate", str(err))
            return None
        level = "removed" if gain_db == -math.inf else "down to the level around it" if gain_db == AROUND \
            else f"at {gain_db:g} dB"
        what = (f"{format_hz(band[0])}–{format_hz(band[1])} Hz {level} over {format_span(*span)} "
                f"in {len(chosen)} version(s)")
        return self._mend_job(recording, chosen, f"attenuate {what}",
                              lambda: attenuate_job(chosen, span, band, gain_db))

    def silence_between_turns(self) -> JobEntry | None:
        """Each talker's newest visible version silenced wherever none of its labels ("talker k",
        as Process ▸ Label talker activity writes them) says it speaks: the crosstalk a separator
        leaves in a track between its turns."""
        window = self.window
        recording, session = window.recording, window.session
        if recording is None:
            return None
        chosen, spans = [], []
        for talker in session.talkers():
            turns = [(label.start, label.stop) for label in session.labels
                     if label.text.strip().lower() == f"talker {talker + 1}"]
            versions = [v for v in session.versions_of(talker) if v.kind is not VersionKind.DIFFERENCE]
            if turns and versions:
                chosen.append(versions[-1])
                spans.append(outside(turns, versions[-1].seconds))
        if not chosen:
            window.show_error("Cannot silence between turns", "No label says when a talker speaks; label the talkers' "
                              "activity first (Process ▸ Label talker activity), or name labels “talker 1”, "
                              "“talker 2”, ….")
            return None
        return self._silence(recording, chosen, spans, f"silence {len(chosen)} talker(s) between their turns")

    def open_blend(self) -> BlendDialog | None:
        """The blend dialog for the chosen versions (non-modal)."""
        window = self.window
        chosen = self._chosen("blend") if window.recording is not None else []
        if not chosen:
            return None
        dialog = BlendDialog([v.name for v in chosen], self.blend_db, window)
        recording = window.recording
        self._wire_preview(dialog, dialog.preview, chosen,
                           lambda version, heard: blend_preview_job(recording, version, dialog.gain_db(), heard),
                           lambda version: version_span([version]))
        return _shown(dialog, lambda: self.blend(chosen, dialog.gain_db()))

    def blend(self, chosen: list[Version], gain_db: float) -> JobEntry | None:
        """`chosen` plus the rest of the mixture at `gain_db`, in their place (the originals hidden)."""
        window, recording = self.window, self.window.recording
        self.blend_db = gain_db
        if recording is None:
            return None
        try:
            check_blend(chosen)
        except ConfigError as err:
            window.show_error("Cannot blend", str(err))
            return None
        what = f"blend {len(chosen)} version(s) with the mixture at {gain_db:g} dB"
        return self._mend_job(recording, chosen, what, lambda: blend_job(recording, chosen, gain_db))

    def _silence(self, recording: Recording, chosen: list[Version], spans: list, what: str,
                 gain_db: float = -math.inf) -> JobEntry:
        return self._mend_job(recording, chosen, what, lambda: silence_job(chosen, spans, gain_db))

    def _mend_job(self, recording: Recording, chosen: list[Version], what: str, make: Callable[[], Job[list[Version]]],
                  then: Callable[[list[Version]], None] | None = None) -> JobEntry:
        """The job `make()` as one undo step `what`: its new versions in place of `chosen`, then
        `then(versions)` (a status line) once they are in."""
        def done(versions: list[Version]) -> None:
            if self._mend(recording, [v.id for v in chosen], versions, what) and then is not None:
                then(versions)

        return self.window.jobs.submit(what[0].upper() + what[1:], make, done)

    def _mend(self, recording: Recording, originals: list[str], versions: list[Version], what: str) -> bool:
        """Put the new versions in place of their originals, unless the recording changed or an
        original went meanwhile; whether they were put."""
        window = self.window
        if recording is not window.recording:
            return False
        if not all(any(v.id == i for v in window.session.versions) for i in originals):
            window.statusBar().showMessage(f"Dropped “{what}”: a version it started from was removed meanwhile.",
                                           10_000)
            return False
        window.session.mend(originals, versions, what)
        window.refresh_versions()
        return True
