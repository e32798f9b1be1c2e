"""Repairing a recording before it is separated, as RX's Repair Assistant does: what is wrong with it
is found first (clipped runs, dropped samples, clicks; `damage_job`), each kind is offered with its
count, and the chosen repairs are read through one after another (`restored_view_job`): clipping
first (a clipped click is redrawn as the waveform it cut), dropouts next (their abrupt edges would
read as clicks), then clicks, and the late reverberation taken out last, from the repaired channels.
Process ▸ Repair the recording… writes the result as a copy (`restored_copy_job`), as Batch repair…
and `meco-studio repair` do for files (`repaired_file_job`); batch separation separates through it
with no copy written. A copy can also have its steady noise lowered and the mains hum notched (found
in the first minute, `hum_of`), in that order, last: both stream as the copy is written
(`restored_blocks_job`), so they are no views to read through.

Dropouts are redrawn as Edit ▸ Repair the selection redraws a gap, up to `MAX_REPAIR_SECONDS` (a
longer one is left as it is and counted apart: `evaluate repair` shows the redrawing at 20 ms
little better than the silence).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from app.engine.clicks import click_runs, find_redrawn_clicks
from app.engine.clipping import Runs, clipped_runs, stretch_labels, touching
from app.engine.declip import BLOCK, Repaired, find_redrawn, redraw_runs
from app.engine.dehum import ANALYSIS_SECONDS as HUM_ANALYSIS_SECONDS
from app.engine.dehum import Hum, HumNotch, find_hum_in
from app.engine.dereverb import Dereverberated, described
from app.engine.dropouts import dropout_runs
from app.engine.enhancement import EnhanceSettings, enhance_array_job, enhance_job, find_enhancer
from app.engine.errors import ConfigError
from app.engine.export import (
    REDRAWN_PEAKS,
    REWRITTEN,
    AtomicAudioWriter,
    AudioFormat,
    ExportSettings,
    PeakPolicy,
    SampleFormat,
    copy_job,
)
from app.engine.files import ArraySource, Recording, SourceView, Span, open_recording
from app.engine.inpainting import MAX_REPAIR_SECONDS
from app.engine.jobs import Job, Progress, drive
from app.engine.labels import Label
from app.engine.noise_reduction import NoiseSettings, channel_profiles, reduce_recording_job
from app.engine.provenance import model_note, read_tags, with_step
from models.baselines import spectral_gate
from models.baselines.wpe import WpeSettings

Source = Recording | Span | ArraySource | SourceView


@dataclass(frozen=True)
class Damage:
    """What `damage_job` found, summed over the channels."""

    clipped: int                # clipped runs
    dropouts: int               # dropouts short enough to redraw
    long_dropouts: int          # longer ones, left as they are
    clicks: int                 # clicks apart from the clipped runs and dropouts (whose edges read as clicks)
    hum: Hum | None = None      # the mains hum standing out in the first minute, if one does
    # Where they are: a label per stretch ("clipped ch 1", "dropout ch 2", "click ch 3"), in time order.
    labels: tuple[Label, ...] = field(default=(), compare=False)

    @property
    def said(self) -> str:
        """"3 clipped runs, 0 dropouts (and 1 longer one, left as it is), 12 clicks and a 50 Hz mains hum"."""
        n = self.long_dropouts
        longer = f" (and {count_of(n, 'longer one')}, left as {'it is' if n == 1 else 'they are'})" if n else ""
        found = [count_of(self.clipped, "clipped run"), count_of(self.dropouts, "dropout") + longer,
                 count_of(self.clicks, "click")] + ([f"a {self.hum.hz:g} Hz mains hum"] if self.hum else [])
        return f"{', '.join(found[:-1])} and {found[-1]}"

    def as_json(self) -> dict[str, Any]:
        return {"clipped_runs": self.clipped, "dropouts": self.dropouts, "long_dropouts": self.long_dropouts,
                "clicks": self.clicks, "hum_hz": self.hum.hz if self.hum else None,
                "hum_lines": self.hum.lines if self.hum else 0}


def count_of(n: int, what: str) -> str:
    """"1 click", "3 clicks"."""
    return f"{n} {what}{'s' if n != 1 else ''}"


@dataclass(frozen=True)
class Restoration:
    declip: bool = False
    dropouts: bool = False
    declick: bool = False
    dereverb: bool = False
    wpe: WpeSettings = field(default_factory=WpeSettings)
    # Steady noise lowered, then mains hum notched, last; only where a copy is written
    # (`restored_blocks_job`): the gate and the notches stream, they are no views to read through.
    noise: NoiseSettings | None = None
    dehum: bool = False
    # Or, in the gate's place, the noise taken out by a speech enhancer (RX's Dialogue Isolate in a
    # chain): each channel at the model's rate, brought back to the recording's.
    enhance: EnhanceSettings | None = None

    def __post_init__(self) -> None:
        if self.noise is not None and self.enhance is not None:
            raise ConfigError("Lower the steady noise with the spectral gate or take it out with a speech enhancer, "
                              "not both.")

    @property
    def chosen(self) -> bool:
        return self.declip or self.dropouts or self.declick or self.dereverb or self.noise is not None or self.dehum \
            or self.enhance is not None

    def needed_for(self, damage: Damage) -> Restoration:
        """The chosen repairs that `damage` calls for, as the Repair Assistant offers them: a redraw
        only where that kind was found, the hum's notches only where one stands out; the late
        reverberation and the steady noise are no damage to count, so they stay as chosen."""
        return replace(self, declip=self.declip and damage.clipped > 0, dropouts=self.dropouts and damage.dropouts > 0,
                       declick=self.declick and damage.clicks > 0, dehum=self.dehum and damage.hum is not None)

    def described(self, hum: Hum | None = None) -> str:
        """What a file's tags say was done ("clipped runs redrawn, clicks redrawn"), with the `hum`
        found and notched."""
        steps = [step for step, on in (("clipped runs redrawn", self.declip), ("dropouts redrawn", self.dropouts),
                                       ("clicks redrawn", self.declick), (described(self.wpe), self.dereverb)) if on]
        if self.noise is not None:
            steps.append(f"steady noise lowered {self.noise.reduction_db:g} dB")
        if self.enhance is not None:
            steps.append(f"speech enhanced by {model_note(find_enhancer(self.enhance.model))}")
        if self.dehum and hum is not None:
            steps.append(f"{hum.hz:g} Hz mains hum notched ({hum.lines} lines)")
        return ", ".join(steps)


def counted(counts: dict[str, int]) -> str:
    """How many of each kind were redrawn, as "2 clipped runs, 1 dropout"."""
    return ", ".join(f"{count} {kind if count != 1 else kind.removesuffix('s')}" for kind, count in counts.items())


def hum_of(recording: Source) -> tuple[Hum | None, str]:
    """The mains hum in the first minute of `recording`'s channels, or None and why none is notched."""
    try:
        return find_hum_in(recording.name, recording.read(0, min(recording.frames, round(
            HUM_ANALYSIS_SECONDS * recording.sample_rate))), recording.sample_rate), ""
    except ConfigError as err:
        return None, f"{err} Nothing was notched."


def _short(runs: Runs, rate: int) -> np.ndarray:
    return runs[:, 1] - runs[:, 0] <= round(MAX_REPAIR_SECONDS * rate)


def damage_job(recording: Source) -> Job[Damage]:
    """Every channel's clipped runs, dropouts and clicks, counted and labelled where they are, and
    the mains hum if one stands out."""
    rate = recording.sample_rate
    clipped = yield from clipped_runs(recording)
    dropped = yield from dropout_runs(recording)
    clicks = yield from click_runs(recording)
    apart: list[Runs] = []
    for channel, found in enumerate(clicks):
        damaged = np.concatenate([clipped[channel], dropped[channel]])
        apart.append(found[~touching(found, damaged[np.argsort(damaged[:, 0], kind="stable")])])
    hum, _ = hum_of(recording)
    labels = sorted(stretch_labels(clipped, rate, "clipped") + stretch_labels(dropped, rate, "dropout")
                    + stretch_labels(apart, rate, "click"), key=lambda label: (label.start, label.stop))
    return Damage(sum(len(runs) for runs in clipped), sum(int(_short(runs, rate).sum()) for runs in dropped),
                  sum(int((~_short(runs, rate)).sum()) for runs in dropped), sum(len(runs) for runs in apart), hum,
                  tuple(labels))


def restored_view_job(source: Source, restoration: Restoration,
                      channels: list[int] | None = None) -> Job[tuple[Source, dict[str, int]]]:
    """`source` read through the chosen repairs (the reverberation taken out of `channels`, all by
    default, together), and how many of each kind were redrawn ("clipped runs", "dropouts", "clicks")."""
    view: Source = source
    counts: dict[str, int] = {}
    if restoration.declip:
        redrawn = yield from find_redrawn(view)
        view, counts["clipped runs"] = Repaired(view, redrawn), sum(r.runs for r in redrawn)
    left: list[Runs] | None = None                   # damage left as it is: its edges are no clicks
    if restoration.dropouts:
        dropped = yield from dropout_runs(view)
        redrawn = yield from redraw_runs(view, [runs[_short(runs, view.sample_rate)] for runs in dropped], missing=True)
        view, counts["dropouts"] = Repaired(view, redrawn), sum(r.runs for r in redrawn)
        left = [runs[~_short(runs, view.sample_rate)] for runs in dropped]
    if restoration.declick:
        redrawn = yield from find_redrawn_clicks(view, leave=left)
        view, counts["clicks"] = Repaired(view, redrawn), sum(r.runs for r in redrawn)
    if restoration.dereverb:
        view = Dereverberated(view, restoration.wpe, channels)
    return view, counts


PREVIEW_CONTEXT_SECONDS = 2.0   # repaired with the stretch a preview plays, either side (WPE's block context)


def preview_job(recording: Source, restoration: Restoration, channel: int, heard: tuple[float, float],
                removed: bool = False, hum: Hum | None = None) -> Job[np.ndarray]:
    """Channel `channel` of `recording` over `heard` (seconds) through the chosen repairs, worked out
    over that stretch and `PREVIEW_CONTEXT_SECONDS` either side (the copy's repairs are found over
    the whole, so a click or a block border near the stretch's ends may come out a little
    differently), or with `removed` what the repairs take away there. `hum`: the one `damage_job`
    found, notched when chosen."""
    rate = recording.sample_rate
    lo, hi = (min(max(round(t * rate), 0), recording.frames) for t in heard)
    context = round(PREVIEW_CONTEXT_SECONDS * rate)
    first, last = max(0, lo - context), min(recording.frames, hi + context)
    view, _ = yield from restored_view_job(Span(recording, first, last), restoration)
    if restoration.noise is None and not restoration.dehum and restoration.enhance is None:
        kept = np.asarray(view.read(lo - first, hi - first, [channel])[0], np.float32)
    else:
        kept = _streamed_preview(recording, restoration, channel, view.read(0, last - first, [channel])[0], hum)[
            lo - first:hi - first]
    return np.asarray(recording.read(lo, hi, [channel])[0], np.float32) - kept if removed else kept


def _streamed_preview(recording: Source, restoration: Restoration, channel: int, piece: np.ndarray,
                      hum: Hum | None) -> np.ndarray:
    """A repaired `piece` of one channel with its steady noise lowered (the profile of the channel's
    quietest frames in the recording's first minute) or taken out by the enhancer, and the hum
    notched, as the copy streams them;
    the context either side lets the gate's frames and the notches settle."""
    piece = np.asarray(piece, np.float32)
    if restoration.noise is not None:
        profile = channel_profiles(recording, None)[channel]
        out = np.empty_like(piece)
        for _ in spectral_gate.gate(piece, recording.sample_rate, profile, restoration.noise, out):
            pass
        piece = out
    if restoration.enhance is not None:
        piece = drive(enhance_array_job(piece[None], recording.sample_rate, restoration.enhance)).audio[0]
    if restoration.dehum and hum is not None:
        piece = HumNotch(hum, recording.sample_rate, 1)(piece[None])[0]
    return piece


def restored_blocks_job(recording: Recording, restoration: Restoration, write: Callable[[np.ndarray], None],
                        hum: Hum | None = None) -> Job[dict[str, int]]:
    """`recording` through the chosen repairs, its steady noise lowered and the `hum` (`hum_of`)
    notched last where chosen, handed to `write` a block at a time; how many of each kind were
    redrawn. What Process ▸ Repair the recording…, Batch repair… and `meco-studio repair` write."""
    out = _notched(HumNotch(hum, recording.sample_rate, recording.channels), write) \
        if restoration.dehum and hum is not None else write
    view, counts = yield from restored_view_job(recording, restoration)
    if restoration.noise is not None:
        yield from reduce_recording_job(view, restoration.noise, None, out)
        return counts
    if restoration.enhance is not None:
        yield from enhance_job(view, restoration.enhance, sink=out)
        return counts
    blocks = range(0, recording.frames, BLOCK)
    for done, lo in enumerate(blocks):
        yield Progress("write the repaired copy", done, len(blocks))
        out(view.read(lo, lo + BLOCK))
    return counts


def _notched(notch: HumNotch, write: Callable[[np.ndarray], None]) -> Callable[[np.ndarray], None]:
    def notched(block: np.ndarray) -> None:
        write(notch(block))
    return notched


def repaired_format(restoration: Restoration, chosen: ExportSettings | None = None) -> ExportSettings:
    """The copy's format: `chosen` (a float WAV keeping peaks above full scale, anything else
    limited), else 32-bit float WAV when clipped runs are redrawn (their peaks rise above full
    scale) and 24-bit WAV otherwise."""
    if chosen is None:
        return REDRAWN_PEAKS if restoration.declip else REWRITTEN
    keeps_peaks = chosen.format is AudioFormat.WAV and chosen.sample_format is SampleFormat.FLOAT
    return replace(chosen, peak=PeakPolicy.NONE if keeps_peaks else PeakPolicy.LIMIT)


def repaired_file_job(path: Path, target: Path, restoration: Restoration, overwrite: bool = False,
                      as_needed: bool = False, damage: Damage | None = None,
                      export: ExportSettings | None = None) -> Job[dict[str, Any]]:
    """The recording at `path` repaired into `target` (`repaired_format`, of `export` when given,
    which `target`'s suffix must name; an existing file replaced
    only with `overwrite`), tagged with what was done: what batch repair and `meco-studio repair`
    write for each file; its report, with how many of each kind were redrawn. `as_needed`: its
    damage counted first (`damage_job`, unless `damage` was counted already) and only the repairs
    it calls for made (`Restoration.needed_for`)."""
    if Path(target).resolve() == Path(path).resolve():
        raise ConfigError(f"The repaired copy of {Path(path).name} cannot replace it; choose another folder.")
    with open_recording(path) as rec:
        notes = [rec.notice] if rec.notice else []
        if as_needed:
            damage = damage or (yield from damage_job(rec))
            restoration, hum = restoration.needed_for(damage), damage.hum
        else:
            hum, why = hum_of(rec) if restoration.dehum else (None, "")
            notes += [why] if why else []
        step = restoration.described(hum) or "nothing to repair was found; copied unchanged"
        writer = AtomicAudioWriter(target, rec.sample_rate, rec.channels,
                                   replace(repaired_format(restoration, export), overwrite=overwrite),
                                   with_step(read_tags(path), step), frames=rec.frames)
        with writer:
            counts = yield from restored_blocks_job(rec, restoration, writer.write, hum)
            output = writer.commit()
    notes += [writer.peak_note] if writer.peak_note else []
    return {"input": str(path), "output": str(output), "redrawn": counts, "dereverberated": restoration.dereverb,
            "noise_lowered_db": restoration.noise.reduction_db if restoration.noise else None,
            "enhanced_by": find_enhancer(restoration.enhance.model).name if restoration.enhance else None,
            "hum_hz": hum.hz if hum and restoration.dehum else None, "notes": notes,
            "damage": damage.as_json() if as_needed and damage else None,
            "found": damage.said if as_needed and damage else None}


def what_was_done(report: dict[str, Any]) -> str:
    """A `repaired_file_job` report in a few words: "50 clipped runs, 1 dropout redrawn; 50 Hz mains
    hum notched", after what its count found where it was counted first."""
    redrawn = counted(report["redrawn"])
    said = [f"{redrawn} redrawn" if redrawn else "", "reverberation taken out" if report["dereverberated"] else "",
            f"steady noise lowered {report['noise_lowered_db']:g} dB" if report["noise_lowered_db"] else "",
            f"speech enhanced by {report['enhanced_by']}" if report.get("enhanced_by") else "",
            f"{report['hum_hz']:g} Hz mains hum notched" if report["hum_hz"] else ""]
    done = "; ".join(part for part in said if part) or "nothing changed"
    return f"found {report['found']}: {done}" if report.get("found") else done


def restored_copy_job(recording: Recording, target: Path, restoration: Restoration,
                      hum: Hum | None = None) -> Job[dict[str, int]]:
    """`restored_blocks_job` written to `target` as WAV (`repaired_format`), tagged with what was
    done; how many of each kind were redrawn. `hum`: the one `damage_job` found, notched when chosen."""
    return (yield from copy_job(recording, target, "the repaired copy", repaired_format(restoration),
                                restoration.described(hum), lambda write: restored_blocks_job(recording, restoration,
                                                                                           write, hum)))
