"""The audio behind one recording's A/B lanes, and what is measured on it once.

- the mixture's reference channel, read block by block in a worker (a long file would stall the
  window); until it arrives the mixture lane is silent;
- each version at the recording's rate and length: its own array when it already is (no copy),
  else a resampled or padded copy made once, in a worker, block by block into one array (on the
  disk when long, as the version itself is);
- each lane's peak, and its BS.1770 loudness, measured in a worker (it takes a while).

One object per recording: `close` stops its workers and its signals, so nothing measured on a
file that was closed reaches the next one.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.engine.documents import Version
from app.engine.files import Recording
from app.engine.jobs import Job, Progress
from app.engine.loudness import integrated_loudness
from app.engine.output_collector import OutputCollector
from app.engine.playback import lane_peak
from app.engine.scratch import scratch_zeros
from app.gui.workers import JobWorker, WorkerSet

LaneKey = str | None          # a version's id; None: the mixture
MIXTURE_BLOCK_SECONDS = 30
CONVERT_BLOCK_SECONDS = 30


class LaneAudio(QObject):
    mixture_arrived = Signal()          # the reference channel is read (or, after `mixture_failed`, silent)
    mixture_failed = Signal(str)        # why it could not be read
    loudness_measured = Signal(list)    # the lane keys a measurement was started for
    lane_arrived = Signal()             # a version's lane, resampled or padded in a worker, is ready

    def __init__(self, recording: Recording) -> None:
        super().__init__()
        self.recording = recording
        self._mixture: np.ndarray | None = None
        self._reader: JobWorker | None = None
        self._versions: dict[str, np.ndarray] = {}
        self._peaks: dict[LaneKey, float] = {}
        self._loudness: dict[LaneKey, float] = {}
        self._measurers = WorkerSet()
        self._converters: dict[str, JobWorker] = {}

    @property
    def mixture_ready(self) -> bool:
        return self._mixture is not None

    def mixture(self) -> np.ndarray:
        """The reference channel once read; until then silence that takes no memory (the read starts)."""
        if self._mixture is None:
            self._read_mixture()
            return np.broadcast_to(np.zeros(1, np.float32), (self.recording.frames,))
        return self._mixture

    def version(self, version: Version) -> np.ndarray:
        """A version's lane: its own array when it is at the recording's rate and length; else a
        copy resampled or padded in a worker (an hour takes seconds), silence until
        `lane_arrived`."""
        rec = self.recording
        if version.sample_rate == rec.sample_rate and version.audio.shape[0] == rec.frames:
            return np.asarray(version.audio, np.float32)
        if version.id in self._versions:
            return self._versions[version.id]
        if version.id not in self._converters:
            self._convert(version)
        return np.broadcast_to(np.zeros(1, np.float32), (rec.frames,))

    def _convert(self, version: Version) -> None:
        rec = self.recording

        def convert() -> Job[np.ndarray]:
            audio = version.audio
            collector = OutputCollector(1, version.sample_rate, rec.sample_rate, rec.frames)
            block = CONVERT_BLOCK_SECONDS * version.sample_rate
            for start in range(0, audio.shape[0], block):
                collector.write(audio[None, start:start + block])
                yield Progress("prepare a lane for A/B", min(audio.shape[0], start + block), audio.shape[0])
            return collector.finish()[0]

        worker = JobWorker(convert())
        worker.finished.connect(lambda lane: self._on_converted(version.id, lane))
        self._converters[version.id] = worker
        worker.start()

    def _on_converted(self, version_id: str, lane: np.ndarray) -> None:
        self._converters.pop(version_id, None)
        self._versions[version_id] = lane
        self.lane_arrived.emit()

    def _measurable(self, key: LaneKey) -> bool:
        """A lane is measured only once it is there, not its silent stand-in."""
        return key not in self._converters if key is not None else self._mixture is not None

    def peak(self, key: LaneKey) -> float | None:
        """A lane's largest magnitude once measured (with its loudness, in a worker: a pass over an
        hour of audio would stall the window)."""
        return self._peaks.get(key)

    def loudness(self, key: LaneKey) -> float | None:
        return self._loudness.get(key)

    def measure_loudness(self, keys: list[LaneKey], audio: list[np.ndarray]) -> None:
        """Measure the peak and loudness of the lanes not measured yet in a worker;
        `loudness_measured(keys)` when done."""
        missing = [row for row, key in enumerate(keys) if key not in self._loudness and self._measurable(key)]
        if not missing:
            return
        rate = self.recording.sample_rate

        def measure() -> Job[dict[LaneKey, tuple[float, float]]]:
            found = {}
            for done, row in enumerate(missing, start=1):
                found[keys[row]] = integrated_loudness(audio[row], rate), lane_peak(audio[row])
                yield Progress("loudness", done, len(missing))
            return found

        worker = JobWorker(measure())
        worker.finished.connect(lambda found: self._on_measured(keys, found))
        self._measurers.start(worker)

    def _on_measured(self, keys: list[LaneKey], found: dict[LaneKey, tuple[float, float]]) -> None:
        self._loudness.update({key: loudness for key, (loudness, _) in found.items()})
        self._peaks.update({key: peak for key, (_, peak) in found.items()})
        self.loudness_measured.emit(keys)

    def _read_mixture(self) -> None:
        if self._reader is not None:
            return
        rec = self.recording

        def read() -> Job[np.ndarray]:
            lane = scratch_zeros((rec.frames,))           # as long as the recording: on the disk when long
            block = MIXTURE_BLOCK_SECONDS * rec.sample_rate
            for start in range(0, rec.frames, block):
                stop = min(rec.frames, start + block)
                lane[start:stop] = rec.read(start, stop, [0])[0]
                yield Progress("read the mixture for A/B", stop, rec.frames)
            return lane

        self._reader = JobWorker(read())
        self._reader.finished.connect(self._on_mixture_read)
        self._reader.failed.connect(lambda message, _details: self._on_mixture_failed(message))
        self._reader.start()

    def _on_mixture_read(self, lane: np.ndarray) -> None:
        self._reader, self._mixture = None, lane
        self.mixture_arrived.emit()

    def _on_mixture_failed(self, message: str) -> None:
        self._reader, self._mixture = None, np.zeros(self.recording.frames, np.float32)
        self.mixture_failed.emit(message)
        self.mixture_arrived.emit()

    def close(self, wait_for_measurements: bool = False) -> None:
        """Stop reporting, and stop the read before the file closes (it ends within one block).
        The measurements work on arrays in memory, so opening another file only cancels them
        (they end after the lane in hand) instead of holding the window; the app's shutdown
        waits for them."""
        self.blockSignals(True)
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            reader.wait()
        self._measurers.cancel(wait=wait_for_measurements)
        for worker in self._converters.values():
            worker.cancel()
            if wait_for_measurements:
                worker.wait()
