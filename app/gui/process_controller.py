"""What the Process menu runs on the open recording, each as a job: separation, MeCo, the
students, metrics, level and spectrum analysis, who speaks when, the DISPatch inspector; and
beside them, another separator's estimates brought in as versions, clean references, and batch
separation of recordings on disk.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QMessageBox

from app.engine.activity import talker_activity
from app.engine.analysis import AnalysisRequest, LaneAnalysis, analyse
from app.engine.batch import BatchResult, batch_job, each_file_job, output_files
from app.engine.clipping import MIN_RUN, clipping_job
from app.engine.correction import CorrectSettings
from app.engine.clicks import ClickSettings, clicks_job
from app.engine.combine import RecorderChannels
from app.engine.declip import DeclipResult, repaired_copy_job
from app.engine.dereverb import DereverbResult, dereverberated_copy_job, preview_job
from app.engine.dropouts import MIN_RUN as DROPOUT_RUN
from app.engine.dropouts import dropouts_job
from app.engine.documents import ESTIMATE_KINDS, Version
from app.engine.enhancement import EnhanceSettings
from app.engine.errors import AppError, ConfigError
from app.engine.files import ArraySource, Recording
from app.engine.inspection import inspect_job, inspector_models
from app.engine.jobs import Job
from app.engine.preview import preview_span
from app.engine.labels import Label
from app.engine.pipeline import ModelEntry, Task, list_models
from app.engine.separation import MAX_MODEL_MICS, METHOD_NAMES, Method, SeparateSettings, own_array
from app.engine.dehum import Hum
from app.engine.restoration import (
    Restoration,
    counted,
    damage_job,
    repaired_file_job,
    restored_copy_job,
    what_was_done,
)
from app.engine.restoration import preview_job as restoration_preview_job
from app.engine.sound_labels import ANY_CHANNEL, SoundSettings, recording_sounds_job, track_sounds_job
from app.engine.time_align import step_note
from app.engine.timecode import format_duration, format_span
from app.engine.workflow import (
    MetricsRow,
    correct_versions_job,
    enhance_versions_job,
    import_version_job,
    label_metrics_job,
    metrics_job,
    read_reference,
    referenced_talkers,
    separate_versions_job,
    version_span,
)
from app.gui.dialogs.batch_dialog import BatchDialog, BatchRequest
from app.gui.dialogs.batch_files_dialog import BatchFilesDialog
from app.gui.dialogs.batch_repair_dialog import BatchRepairDialog, BatchRepairRequest
from app.gui.dialogs.remembered import choices_of, put_choices
from app.gui.dialogs.dereverb_dialog import DereverbDialog
from app.gui.dialogs.preview_row import PreviewRow
from app.gui.dialogs.repair_dialog import RepairDialog
from app.gui.dialogs.file_filters import AUDIO_FILTER
from app.gui.dialogs.separate_dialog import SeparateDialog, SeparationChoice
from app.gui.dialogs.sounds_dialog import SoundsDialog
from app.gui.names import channel_names, display_name
from app.gui.views.inspector_view import InspectorView
from app.gui.preview_wiring import wire_preview, with_rate
from app.gui.workers import JobEntry, WorkerSet
from models.baselines.wpe import WpeSettings
from models.inference.chunked import ChunkConfig
from models.metrics.speech import RATE as METRICS_RATE

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow


def _imported_and_checked(path: Path, talker: int, recording: Recording) -> Job[Version]:
    """The estimate as a version, with a note (shown when it is added) if it is out of step with the
    mixture: another system's latency, which every metric would count against it."""
    version = yield from import_version_job(path, talker)
    note = yield from step_note(version, recording)
    return version if note is None else _noted(version, note)


def _noted(version: Version, note: str) -> Version:
    """`version` with `note` among those the window shows when it is added."""
    return dataclasses.replace(version, settings={**version.settings,
                                                  "notes": [*version.settings.get("notes", []), note]})


def _each_noted(job: Job[list[Version]], note: str) -> Job[list[Version]]:
    versions = yield from job
    return [_noted(version, note) for version in versions]


D = TypeVar("D", bound=BatchFilesDialog)


class ProcessController(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self._choice: tuple[Recording, SeparationChoice] | None = None    # per recording: another starts afresh
        self.sound_settings = SoundSettings()          # Label sounds offers the last settings again
        self.wpe_settings = WpeSettings()              # and Dereverberate
        self._previews = WorkerSet()

    def _settings(self, task: Task) -> tuple[str | None, str, ChunkConfig]:
        """(model, device, chunk) as the user set them in Settings."""
        stored = self.window.stored
        return stored.model(task), stored.compute_device(), stored.chunk()

    # --- versions from the open recording ---------------------------------------------------------
    def _versions_job(self, title: str, make: Callable[[], Job[list[Version]]],
                      span: tuple[float, float] | None = None) -> JobEntry:
        """Queue a job whose result is versions of the open recording (dropped if another
        recording has been opened by the time it ends)."""
        window, recording = self.window, self.window.recording
        where = "" if span is None else f" ({format_span(*span)})"
        return window.jobs.submit(f"{title} {display_name(recording.path)}{where}", make,
                                  lambda versions: window.add_versions_from(recording, versions))

    def _span(self, sources: list[Version] | None = None) -> tuple[float, float] | None:
        """What a job processes, as Audacity's effects do: the selection; without one, the span
        the source versions were made over (None: the whole recording)."""
        selection = self.window.view.selection
        if selection is not None:
            return selection
        return version_span(sources) if sources else None

    def separation_choice(self) -> SeparationChoice:
        """The method, channels and reference last chosen for the open recording (Separate with
        options…); at first the trained separator on every channel, estimated at channel 1, or in a
        recording combined from several recorders, on one array's own channels (`own_array`, when
        it has two or more), which separate as well as all of them and sooner (`meco-studio
        evaluate combine --separate`)."""
        if self._chosen_here():
            return self._choice[1]
        own = self._own_array()
        return SeparationChoice() if own is None else SeparationChoice(channels=own.channels,
                                                                       reference=own.channels[0])

    def _chosen_here(self) -> bool:
        return self._choice is not None and self._choice[0] is self.window.recording

    def _own_array(self) -> RecorderChannels | None:
        own = own_array(self.window.recorders, 0)
        return own if own is not None and len(own.channels) > 1 else None

    def run_separation(self, choice: SeparationChoice | None = None) -> JobEntry | None:
        """Queue a separation of the open recording (of the selection, if any) with `choice`, else
        the last one made for it. A recording with more channels than the separator takes opens
        the options instead, to choose them."""
        recording = self.window.recording
        if recording is None:
            return None
        defaulted = choice is None and not self._chosen_here()
        choice = choice or self.separation_choice()
        if choice.channels is None and recording.channels > MAX_MODEL_MICS:
            self.open_separate_options()
            return None
        model, device, chunk = self._settings(Task.SEPARATION)
        settings = choice.settings(SeparateSettings(model=model, device=device, chunk=chunk))
        span = self._span()
        title = f"Separate ({METHOD_NAMES[choice.method]})" if choice.method in METHOD_NAMES else "Separate"
        references = dict(self.window.session.references)
        own = self._own_array()
        if not defaulted or own is None:
            return self._versions_job(title, lambda: separate_versions_job(recording, settings, span, references),
                                      span)
        note = (f"Separated from one recorder's channels, {own.describe()}, of the {recording.channels} combined: "
                "one array's own channels separate as well as all of them, and sooner (Separate with options…, "
                "Recorder, chooses others).")
        return self._versions_job(title, lambda: _each_noted(separate_versions_job(recording, settings, span,
                                                                                   references), note), span)

    def open_separate_options(self) -> SeparateDialog | None:
        """Choose the method (the trained separators, AuxIVA, ILRMA, and the oracle mask once the
        talkers have clean references), the channels and the reference, then separate; Ctrl+R
        repeats the choice for this recording."""
        window, recording = self.window, self.window.recording
        if recording is None:
            return None
        models = list_models(Task.SEPARATION)
        dialog = SeparateDialog(recording, models, self._with_model(self.separation_choice(), models),
                                window.view.selection, referenced_talkers(window.session.references), window,
                                window.recorders)
        dialog.accepted.connect(lambda: self._on_separate_accepted(recording, dialog))
        dialog.open()
        return dialog

    def _with_model(self, choice: SeparationChoice, models: list[ModelEntry]) -> SeparationChoice:
        """`choice` naming the separator it runs: the one chosen in Settings when it names none."""
        if choice.method is not Method.MODEL or choice.model is not None or not models:
            return choice
        preferred = self._settings(Task.SEPARATION)[0]
        names = [entry.name for entry in models]
        return dataclasses.replace(choice, model=preferred if preferred in names else names[0])

    def _on_separate_accepted(self, recording: Recording, dialog: SeparateDialog) -> None:
        if recording is not self.window.recording:
            return
        try:
            choice = dialog.choice()
        except AppError as err:
            self.window.show_error("Cannot separate", str(err))
            return
        self._choice = (recording, choice)
        self.run_separation(choice)

    def latest_separation(self) -> list[Version]:
        """The newest visible estimate of each talker, separated here or imported, in talker order
        (a hidden one was put aside: a talker swap's original, say)."""
        latest: dict[int, Version] = {}
        for version in self.window.session.versions:
            if version.kind in ESTIMATE_KINDS and not version.hidden:
                latest[version.talker] = version
        return [latest[k] for k in sorted(latest)]

    def import_estimate(self, path: str | Path, talker: int) -> JobEntry | None:
        """Another separator's estimate of `talker` (a mono file) as a version: to hear, score,
        correct with MeCo or export beside this app's own."""
        window, recording = self.window, self.window.recording
        if recording is None:
            return None
        return window.jobs.submit(f"Import {Path(path).name} as talker {talker + 1}",
                                  lambda: _imported_and_checked(Path(path), talker, recording),
                                  lambda version: window.add_versions_from(recording, [version]))

    def import_estimates(self, paths: list[Path]) -> list[JobEntry]:
        """Another separator's outputs, one mono file per talker (spk1.wav, spk2.wav, ...): in the
        order of their names, talkers 1, 2, ..."""
        entries = [self.import_estimate(path, talker) for talker, path in enumerate(sorted(map(Path, paths)))]
        return [entry for entry in entries if entry is not None]

    def ask_import_estimate(self) -> None:
        window = self.window
        folder = str(window.recording.path.parent) if window.recording else ""
        paths, _ = QFileDialog.getOpenFileNames(window, "Import talkers' estimates (a mono file each; several: "
                                                "talkers 1, 2, ... in the order of their names)", folder, AUDIO_FILTER)
        if len(paths) > 1:
            self.import_estimates([Path(p) for p in paths])
            return
        if not paths:
            return
        path = paths[0]
        count = max(2, len(window.session.talkers()) + 1)
        talkers = [f"Talker {k + 1}" for k in range(count)]
        chosen, ok = QInputDialog.getItem(window, "Import a talker's estimate", f"{Path(path).name} estimates",
                                          talkers, min(window.ab.talker, count - 1), False)
        if ok:
            self.import_estimate(path, talkers.index(chosen))

    def run_correction(self) -> JobEntry | None:
        """Queue MeCo on the latest estimate of each talker."""
        recording, sources = self.window.recording, self.latest_separation()
        if recording is None or not sources:
            return None
        model, device, chunk = self._settings(Task.CORRECTION)
        settings = CorrectSettings(model=model, device=device, chunk=chunk)
        span = self._span(sources)
        return self._versions_job("Correct with MeCo:",
                                  lambda: correct_versions_job(sources, recording, settings, span), span)

    def run_enhancement(self, model: str | None = None) -> JobEntry | None:
        """Queue a student (the best installed by default) on the latest estimate of each talker."""
        recording, sources = self.window.recording, self.latest_separation()
        if recording is None or not sources:
            return None
        _, device, chunk = self._settings(Task.ENHANCEMENT)
        settings = EnhanceSettings(model=model, device=device, chunk=chunk)
        span = self._span(sources)
        return self._versions_job(f"Enhance{' with ' + model if model else ''}:",
                                  lambda: enhance_versions_job(sources, settings, span), span)

    # --- measurements -----------------------------------------------------------------------------
    def run_evaluation(self) -> JobEntry | None:
        """Queue metrics for every visible version, after the mixture's first channel as the
        baseline per talker (when references are loaded), over the selection if any."""
        window, recording = self.window, self.window.recording
        versions = [v for v in window.session.versions if not v.hidden]
        if recording is None or not versions:
            return None
        span = self._span(versions)
        where = f"over {format_span(*span, decimals=3)}" if span is not None else "over the whole recording"
        return self._queue_metrics(versions, where, lambda refs: metrics_job(versions, refs, recording, span), span)

    def run_label_evaluation(self) -> JobEntry | None:
        """Queue the metrics of every visible version over each label's range in turn (each
        utterance, say), one row per label and version."""
        window, recording, labels = self.window, self.window.recording, list(self.window.session.labels)
        versions = [v for v in window.session.versions if not v.hidden]
        if recording is None or not versions or not labels:
            return None
        where = f"over each of {len(labels)} label{'s' if len(labels) != 1 else ''}"
        return self._queue_metrics(versions, where,
                                   lambda refs: label_metrics_job(versions, refs, recording, labels))

    def _queue_metrics(self, versions: list[Version], where: str,
                       score: Callable[[dict[int, np.ndarray]], Job[list[MetricsRow]]],
                       span: tuple[float, float] | None = None) -> JobEntry:
        """A metrics job: the session's clean references read at the metrics' rate (only over
        `span` when the metrics keep to it), then `score`."""
        references_paths = dict(self.window.session.references)

        def job() -> Job[tuple[list[MetricsRow], bool]]:
            references = {k: read_reference(p, METRICS_RATE, span) for k, p in references_paths.items()}
            rows = yield from score(references)
            return rows, bool(references)

        return self.window.jobs.submit(f"Evaluate {len(versions)} version(s) {where}", job,
                                       lambda result: self._on_metrics(result, where))

    def _on_metrics(self, result: tuple[list[MetricsRow], bool], where: str) -> None:
        rows, with_reference = result
        self.window.metrics_panel.set_rows(rows, with_reference, where)
        self.window.metrics_dock.show()
        self.window.metrics_dock.raise_()

    def run_analysis(self) -> JobEntry | None:
        """Queue levels, loudness and spectra of every channel and visible version, over the
        selection if any."""
        window, recording, selection = self.window, self.window.recording, self.window.view.selection
        if recording is None:
            return None
        start, stop = selection if selection is not None else (0.0, None)
        requests = [AnalysisRequest(recording, channel_names(recording.channels, window.recorders), start, stop)]
        requests += [AnalysisRequest(ArraySource(v.audio[None], v.sample_rate, v.name), [v.name], start, stop)
                     for v in window.session.versions if not v.hidden]
        span = (f"Selection {format_span(start, stop, decimals=3)}" if selection is not None else
                f"Whole recording ({format_duration(recording.info.duration_seconds)})")
        return window.jobs.submit(f"Analyze {display_name(recording.path)}", lambda: analyse(requests),
                                  lambda lanes: self._on_analysis(recording, lanes, span))

    def _on_analysis(self, recording: Recording, lanes: list[LaneAnalysis], span: str) -> None:
        window = self.window
        if recording is not window.recording:       # the file changed meanwhile
            return
        window.analysis_panel.set_result(lanes, f"{span} of {display_name(recording.path)}")
        window.analysis_dock.show()
        window.analysis_dock.raise_()

    def run_activity(self) -> JobEntry | None:
        """Queue labels of who speaks when, from each talker's newest visible version."""
        window, recording, session = self.window, self.window.recording, self.window.session
        newest = [session.versions_of(talker)[-1] for talker in session.talkers() if session.versions_of(talker)]
        if recording is None or len(newest) < 2:
            return None
        rates = {v.sample_rate for v in newest}
        if len(rates) > 1:
            window.show_error("Cannot label talker activity", "The talkers' newest versions have different sample "
                              "rates; hide the odd ones out.")
            return None
        return window.jobs.submit(
            f"Label talker activity in {display_name(recording.path)}",
            lambda: talker_activity([v.audio for v in newest], [f"talker {v.talker + 1}" for v in newest],
                                    rates.pop()),
            lambda labels: self._on_activity(recording, labels, [v.name for v in newest]))

    def run_clipping(self) -> JobEntry | None:
        """Queue labels over every stretch where the recording clipped (Audacity's Find Clipping)."""
        return self._find_damage("clipping", clipping_job,
                                 f"does not clip: no run of {MIN_RUN} samples at full scale in any channel.",
                                 "clipped stretch(es) labelled; Alt+→ steps through them")

    def run_dropouts(self) -> JobEntry | None:
        """Queue labels over every stretch where the recording dropped samples (exact zeros in sound)."""
        return self._find_damage("dropouts", dropouts_job,
                                 f"drops no samples: no run of {DROPOUT_RUN} or more zeros in the middle of sound in "
                                 "any channel.", "dropout(s) labelled; Alt+→ steps through them, and Edit ▸ Repair "
                                 "the selection redraws one in a separated track")

    def run_clicks(self) -> JobEntry | None:
        """Queue labels over every click of the recording (where a channel stops being predictable)."""
        return self._find_damage("clicks", clicks_job, "has no clicks: no burst of up to "
                                 f"{ClickSettings().max_ms:g} ms that its channels' sound does not predict.",
                                 "click(s) labelled; Alt+→ steps through them, and Edit ▸ Remove clicks redraws them "
                                 "in a separated track")

    def _find_damage(self, what: str, make: Callable[[Recording], Job[list[Label]]], none_found: str,
                     found: str) -> JobEntry | None:
        """Queue `make(recording)`, its labels added as one undo step ("label `what`"); the status bar
        says `found` after their count, or the recording's name then `none_found`."""
        recording = self.window.recording
        if recording is None:
            return None
        return self.window.jobs.submit(
            f"Find {what} in {display_name(recording.path)}", lambda: make(recording),
            lambda labels: self._add_found(recording, labels, what, f"{recording.path.name} {none_found}", found))

    def _add_found(self, recording: Recording, labels: list[Label], what: str, none_found: str, found: str) -> None:
        """`labels` that a job found on `recording` added as one undo step ("label `what`"), the status
        bar saying `found` after their count, or `none_found`; dropped if another recording is open."""
        window = self.window
        if recording is not window.recording:
            return
        if not labels:
            window.statusBar().showMessage(none_found, 10_000)
            return
        window.labels.add_many(labels, f"label {what} ({len(labels)} labels)")
        window.statusBar().showMessage(f"{len(labels)} {found}", 10_000)

    def open_copy(self, recording: Recording, target: Path) -> None:
        """Open the copy a job wrote of `recording` in its place, unless another recording is open by
        now; once the job has ended, since opening is refused while jobs run."""
        if recording is self.window.recording:
            QTimer.singleShot(0, lambda: self.window.open_path(target))

    def copy_target(self, recording: Recording, suffix: str, what: str) -> Path | None:
        """Where the user says a rewritten copy of `recording` goes (a WAV beside it, named with
        `suffix`, offered); None when they cancel."""
        suggested = recording.path.with_name(f"{recording.path.stem}-{suffix}.wav")
        chosen, _ = QFileDialog.getSaveFileName(self.window, f"Save the {what} copy as", str(suggested),
                                                "WAV files (*.wav)")
        return Path(chosen) if chosen else None

    def repair_clipping(self, target: Path | None = None) -> JobEntry | None:
        """Queue a copy of the recording with its clipped runs redrawn (RX's De-clip), at `target` or
        where the user says (32-bit float WAV: the redrawn peaks rise above full scale); the copy then
        opens in place of the recording, to separate. The recording's own file is never written."""
        window, recording = self.window, self.window.recording
        if recording is None:
            return None
        target = target or self.copy_target(recording, "declipped", "repaired")
        if target is None:
            return None
        return window.jobs.submit(f"Repair clipping in {display_name(recording.path)}",
                                  lambda: repaired_copy_job(recording, target),
                                  lambda result: self._on_repaired(recording, target, result))

    def _on_repaired(self, recording: Recording, target: Path, result: DeclipResult | None) -> None:
        window = self.window
        if result is None:
            window.statusBar().showMessage(f"{recording.path.name} does not clip: no run of {MIN_RUN} samples at "
                                           "full scale in any channel, so no copy was written.", 10_000)
            return
        window.statusBar().showMessage(f"{result.runs} clipped run(s), {result.samples} samples, redrawn (peaks up "
                                       f"to {20 * np.log10(result.peak):+.1f} dBFS) into {target.name}", 15_000)
        self.open_copy(recording, target)

    def _wire_recording_preview(self, dialog: QDialog, row: PreviewRow,
                                make: Callable[[int, tuple[float, float]], Job[np.ndarray]]) -> None:
        """`row`'s Play works out `make(channel, heard)` (called on the GUI thread, where it reads the
        dialog) for the channel the row names over the `preview_span` of the selection, and plays it."""
        window, recording = self.window, self.window.recording

        def heard(channel: int, playhead: float) -> Job[tuple[np.ndarray, int]]:
            seconds = recording.frames / recording.sample_rate
            return with_rate(make(channel, preview_span(seconds, window.view.selection, playhead)),
                             recording.sample_rate)

        wire_preview(window, self._previews, dialog, row, heard)

    def open_repair(self) -> RepairDialog | None:
        """The Repair dialog (non-modal): what is wrong with the recording is found as it opens (a
        job), then the chosen repairs are written to a copy."""
        window, recording = self.window, self.window.recording
        if recording is None:
            return None
        dialog = RepairDialog(recording.path.name, recording.channels, self._enhancer_names(), window)
        counting = window.jobs.submit(f"Find damage in {display_name(recording.path)}", lambda: damage_job(recording),
                                      lambda damage: shiboken6.isValid(dialog) and dialog.show_damage(damage))
        dialog.finished.connect(lambda _: window.jobs.cancel(counting))     # a count no one waits for: stopped
        dialog.label_button.clicked.connect(lambda _checked=False: dialog.damage and self._add_found(
            recording, list(dialog.damage.labels), "damage", f"{recording.path.name} has no damage to label",
            "stretches of damage labelled (Alt+→ steps through them)"))
        self._wire_recording_preview(dialog, dialog.preview, lambda channel, heard: restoration_preview_job(
            recording, dialog.restoration(), channel, heard, dialog.preview_removed.isChecked(), dialog.hum))
        dialog.accepted.connect(lambda: self.repair_recording(dialog.restoration(), hum=dialog.hum))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def repair_recording(self, restoration: Restoration, target: Path | None = None,
                         hum: Hum | None = None) -> JobEntry | None:
        """Queue a copy of the recording through `restoration` (with the `hum` found notched, when
        chosen), at `target` or where the user says; the copy then opens in place of the recording.
        The recording's own file is never written."""
        window, recording = self.window, self.window.recording
        if recording is None or not restoration.chosen:
            return None
        target = target or self.copy_target(recording, "repaired", "repaired")
        if target is None:
            return None

        def done(counts: dict[str, int]) -> None:
            said = counted(counts)
            window.statusBar().showMessage(f"{recording.path.name} repaired ({restoration.described()}"
                                           f"{': ' + said if said else ''}) into {target.name}", 15_000)
            self.open_copy(recording, target)

        return window.jobs.submit(f"Repair {display_name(recording.path)}",
                                  lambda: restored_copy_job(recording, target, restoration, hum), done)

    def open_dereverb(self) -> DereverbDialog | None:
        """The Dereverberate dialog (non-modal): its settings, a Preview of a channel, then Save copy…"""
        window, recording = self.window, self.window.recording
        if recording is None:
            return None
        dialog = DereverbDialog(recording.channels, self.wpe_settings, window)
        self._wire_recording_preview(dialog, dialog.preview, lambda channel, heard: preview_job(
            recording, dialog.settings(), channel, heard, dialog.preview_removed.isChecked()))
        dialog.accepted.connect(lambda: self.dereverberate(settings=dialog.settings()))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def dereverberate(self, target: Path | None = None, settings: WpeSettings | None = None) -> JobEntry | None:
        """Queue a copy of the recording with its late reverberation taken out (WPE, every channel from
        all of them; the last settings by default), at `target` or where the user says (24-bit WAV);
        the copy then opens in place of the recording, to separate or listen to. The recording's own
        file is never written."""
        window, recording = self.window, self.window.recording
        if recording is None:
            return None
        settings = self.wpe_settings = settings or self.wpe_settings
        target = target or self.copy_target(recording, "dereverberated", "dereverberated")
        if target is None:
            return None
        return window.jobs.submit(f"Dereverberate {display_name(recording.path)}",
                                  lambda: dereverberated_copy_job(recording, target, settings),
                                  lambda result: self._on_dereverberated(recording, target, result))

    def _on_dereverberated(self, recording: Recording, target: Path, result: DereverbResult) -> None:
        window = self.window
        together = f"its {result.channels} channels together" if result.channels > 1 else "its one channel"
        window.statusBar().showMessage(f"{recording.path.name} dereverberated ({together}, {result.blocks} "
                                       f"block(s)) into {target.name}", 15_000)
        self.open_copy(recording, target)

    def open_sounds(self) -> SoundsDialog | None:
        """The Label sounds dialog (non-modal): a channel of the recording or a shown version."""
        window = self.window
        if window.recording is None:
            return None
        shown = [(v.id, v.name) for v in window.session.versions if not v.hidden]
        dialog = SoundsDialog(window.recording.channels, shown, self.sound_settings, window)
        dialog.accepted.connect(lambda: self.label_sounds(dialog.chosen_lane(), dialog.settings()))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def label_sounds(self, lane: tuple[str, int | str], settings: SoundSettings) -> JobEntry | None:
        """Queue a label over each sound of `lane` (a channel, `ANY_CHANNEL`, or a version's id)."""
        window, recording = self.window, self.window.recording
        self.sound_settings = settings                 # offered again next time
        if recording is None:
            return None
        try:
            settings.check()
        except ConfigError as err:
            window.show_error("Cannot label sounds", str(err))
            return None
        kind, which = lane
        if kind == "version":
            version = next((v for v in window.session.versions if v.id == which), None)
            if version is None:
                window.show_error("Cannot label sounds", "The version to read was removed meanwhile.")
                return None
            name = version.name

            def make() -> Job[list[Label]]:
                return track_sounds_job(version.audio, version.sample_rate, settings)
        else:
            name = "the loudest channel" if which == ANY_CHANNEL else f"channel {int(which) + 1}"

            def make() -> Job[list[Label]]:
                return recording_sounds_job(recording, int(which), settings)
        return window.jobs.submit(f"Label the sounds of {name}", make, lambda labels: self._add_found(
            recording, labels, "sounds", f"No sound rises above the threshold in {name}.",
            f"sound(s) of {name} labelled"))

    def _on_activity(self, recording: Recording, labels: list[Label], sources: list[str]) -> None:
        window = self.window
        if recording is not window.recording:
            return
        window.labels.add_many(labels, f"label talker activity ({len(labels)} labels)")
        window.statusBar().showMessage(f"{len(labels)} activity labels from {', '.join(sources)}", 10_000)

    def ask_reference(self) -> None:
        """A clean reference for the A/B talker, for the metrics and the inspector."""
        window, talker = self.window, self.window.ab.talker
        folder = str(window.recording.path.parent) if window.recording else ""
        path, _ = QFileDialog.getOpenFileName(window, f"Clean reference of talker {talker + 1}", folder, AUDIO_FILTER)
        if path:
            window.session.set_reference(talker, Path(path))
            window.sessions.note_state()
            window.statusBar().showMessage(f"Reference of talker {talker + 1}: {Path(path).name}", 5000)

    # --- the DISPatch inspector ---------------------------------------------------------------------
    def open_inspector(self) -> InspectorView:
        teachers, students = inspector_models()
        view = InspectorView([e.name for e in teachers], [e.name for e in students], self.window)
        view.inspect_requested.connect(lambda teacher, chosen: self.run_inspection(view, teacher, chosen))
        view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.window.inspector = view
        view.show()
        return view

    def inspection_clip(self) -> tuple[np.ndarray, np.ndarray, int]:
        """(noisy, clean, rate): the A/B talker's latest estimate (the mixture's first channel
        before any separation) and its clean reference, over the selection if any."""
        window, recording = self.window, self.window.recording
        assert recording is not None
        talker = window.ab.talker
        reference = window.session.references.get(talker)
        if reference is None:
            raise ConfigError(f"The inspector compares against a clean reference; load one for talker {talker + 1} "
                              "(File ▸ Load clean reference…).")
        latest = {v.talker: v for v in self.latest_separation()}
        if talker in latest:
            noisy, rate = latest[talker].audio, latest[talker].sample_rate
        else:
            noisy, rate = recording.read(0, recording.frames, [0])[0], recording.sample_rate
        clean = read_reference(reference, rate)
        if window.view.selection is not None:
            start, stop = (round(t * rate) for t in window.view.selection)
            noisy, clean = noisy[start:stop], clean[start:stop]
        return noisy, clean, rate

    def run_inspection(self, view: InspectorView, teacher: str, students: list[str]) -> JobEntry | None:
        try:
            noisy, clean, rate = self.inspection_clip()
        except AppError as err:
            self.window.show_error("Cannot inspect", str(err))
            return None
        return self.window.jobs.submit(f"Inspect {len(students)} student(s) against {teacher}",
                                       lambda: inspect_job(teacher, students, noisy, clean, rate),
                                       lambda result: view.show_result(result) if shiboken6.isValid(view) else None)

    # --- batch separation ---------------------------------------------------------------------------
    def open_batch(self, inputs: list[Path] | None = None) -> BatchDialog:
        """Batch separation of recordings on disk, as one job: `inputs` (files or folders), else
        the open recording, listed to start with."""
        window = self.window
        model, device, chunk = self._settings(Task.SEPARATION)
        separate = SeparateSettings(model=model, device=device, chunk=chunk)
        corrector = CorrectSettings(model=self._settings(Task.CORRECTION)[0], device=device, chunk=chunk) \
            if list_models(Task.CORRECTION) else None
        students = self._enhancer_names()
        home = self._output_home()
        separators = list_models(Task.SEPARATION)
        chosen = self._choice[1] if self._chosen_here() else SeparationChoice()    # one recording's own array: not all
        dialog = BatchDialog(separate, separators, self._with_model(chosen, separators), corrector,
                             students, home / "separated", window)
        return self._open_batch_dialog(dialog, inputs, "batch_separation", self.start_batch)

    def _enhancer_names(self) -> list[str]:
        return [entry.name for entry in list_models(Task.ENHANCEMENT)]

    def _open_batch_dialog(self, dialog: D, inputs: list[Path] | None, name: str,
                           start: Callable[[Any], JobEntry]) -> D:
        """`dialog` listing `inputs` (files or folders), else the open recording, with its choices as
        it was last accepted (kept again under `name` when accepted, before `start` runs its request)."""
        recording, stored = self.window.recording, self.window.stored
        if inputs or recording is not None:
            dialog.files.add_inputs(inputs or [recording.path])
        put_choices(dialog.remembered(), stored.dialog_choices(name))
        dialog.accepted.connect(lambda: stored.set_dialog_choices(name, choices_of(dialog.remembered())))
        dialog.accepted.connect(lambda: self._start_batch_of(dialog, start))
        dialog.open()
        return dialog

    def _output_home(self) -> Path:
        """Where a batch's output folder lies to start with: beside the open recording, else in the
        home folder (the demo recordings of an installed copy, say, are read-only)."""
        recording = self.window.recording
        home = recording.path.parent if recording else Path.home()
        return home if os.access(home, os.W_OK) else Path.home()

    def _start_batch_of(self, dialog: BatchDialog | BatchRepairDialog, start: Callable[[Any], JobEntry]) -> None:
        """The batch `dialog` asks for, or one message saying why it cannot start."""
        try:
            request = dialog.request()
        except AppError as err:
            self.window.show_error("Cannot start the batch", str(err))
            return
        start(request)

    def start_batch(self, request: BatchRequest) -> JobEntry:
        count = len(request.files)
        return self.window.jobs.submit(f"Separate {count} recording{'s' if count != 1 else ''} into "
                                       f"{request.folder.name or request.folder}",
                                       lambda: batch_job(request.files, request.folder, request.settings),
                                       lambda result: self._on_batch_done(request, result))

    def _on_batch_done(self, request: BatchRequest, result: BatchResult) -> QMessageBox:
        return self._report_batch("Batch separation", "separated", len(request.files), request.folder, result)

    def _report_batch(self, title: str, verb: str, count: int, folder: Path, result: BatchResult,
                      each: Callable[[dict[str, Any]], str] | None = None) -> QMessageBox:
        """How many of the batch's `count` recordings were done (with `each`, what was done to each),
        their notes, and each that failed, why."""
        lines = [f"{verb.capitalize()} {len(result.done)} of {count} recording(s) into {folder}."]
        lines += [f"{Path(report['input']).name}: {each(report)}" for report in result.done] if each else []
        lines += [f"{Path(report['input']).name}: {note}" for report in result.done for note in report["notes"]]
        if result.failed:
            lines.append(f"{len(result.failed)} could not be {verb}:")
            lines += [f"• {path.name}: {reason}" for path, reason in result.failed]
        self.window.statusBar().showMessage(lines[0], 10_000)
        return self.window.show_error(f"{title} finished", "\n".join(lines),
                                      QMessageBox.Icon.Warning if result.failed else QMessageBox.Icon.Information)

    def open_batch_repair(self, inputs: list[Path] | None = None) -> BatchRepairDialog:
        """Process ▸ Batch repair…: `inputs` (files or folders), else the open recording, listed to start with."""
        dialog = BatchRepairDialog(self._output_home() / "repaired", self._enhancer_names(), self.window)
        return self._open_batch_dialog(dialog, inputs, "batch_repair", self.start_batch_repair)

    def start_batch_repair(self, request: BatchRepairRequest) -> JobEntry:
        count, folder = len(request.files), request.folder
        suffix = f".{request.export.format.value}" if request.export else ".wav"
        targets = output_files(request.files, folder, suffix)
        return self.window.jobs.submit(
            f"Repair {count} recording{'s' if count != 1 else ''} into {folder.name or folder}",
            lambda: each_file_job(request.files, targets, lambda path, target: repaired_file_job(
                path, target, request.restoration, request.overwrite, request.as_needed, request.damages.get(path),
                request.export)),
            lambda result: self._report_batch("Batch repair", "repaired", count, folder, result, what_was_done))
