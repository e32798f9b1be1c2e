"""Who-speaks-when labels scored against a reference labelling: the diarization error rate.

DER = (missed speech + false alarm + speaker confusion) / reference speech, each in seconds,
overlapped speech counted once per speaker, the hypothesis's speakers mapped one to one onto the
reference's to minimise the confusion: what the DIHARD challenges and diarization papers report,
computed by pyannote.metrics over the whole recording (a collar around each reference turn's
edges, 0.25 s in the NIST convention, may be left out; so may overlapped speech). A label's text
is its speaker; points (labels of no length) carry no speech.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from app.engine.errors import ConfigError
from app.engine.labels import Label


@dataclass(frozen=True)
class DiarizationScore:
    reference_seconds: float     # of reference speech, overlap once per speaker
    missed: float
    false_alarm: float
    confusion: float

    @property
    def error_rate(self) -> float:
        return (self.missed + self.false_alarm + self.confusion) / self.reference_seconds


def _annotation(labels: list[Label]):
    from pyannote.core import Annotation, Segment

    annotation = Annotation()
    for k, label in enumerate(labels):
        if label.stop > label.start:
            annotation[Segment(label.start, label.stop), k] = label.text or "(no text)"
    return annotation


def diarization_score(reference: list[Label], hypothesis: list[Label], duration: float, collar: float = 0.0,
                      skip_overlap: bool = False) -> DiarizationScore:
    """`hypothesis` against `reference` over [0, duration) seconds; ConfigError when the reference
    holds no speech there."""
    from pyannote.core import Segment, Timeline
    from pyannote.metrics.diarization import DiarizationErrorRate

    metric = DiarizationErrorRate(collar=collar, skip_overlap=skip_overlap)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)       # pyannote's notes on empty annotations
        parts = metric(_annotation(reference), _annotation(hypothesis), uem=Timeline([Segment(0, duration)]),
                       detailed=True)
    if parts["total"] <= 0:
        raise ConfigError("The reference labels hold no speech to score against.")
    return DiarizationScore(parts["total"], parts["missed detection"], parts["false alarm"], parts["confusion"])


def describe(score: DiarizationScore) -> str:
    share = score.reference_seconds
    return (f"DER {100 * score.error_rate:.1f} % (missed {100 * score.missed / share:.1f} %, false alarm "
            f"{100 * score.false_alarm / share:.1f} %, confusion {100 * score.confusion / share:.1f} %) over "
            f"{share:.1f} s of reference speech")
