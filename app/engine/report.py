"""A session's record in markdown, for a lab notebook or a paper's methods section: the recording,
every version with what made it (model card, steps, weights hash, settings), the clean
references, the labels, the metrics last computed and the software that ran.

Everything in it is read from the session and the installed cards; nothing is typed in.
"""

from __future__ import annotations

from pathlib import Path

from app.engine.about import environment, model_rows
from app.engine.documents import SessionSnapshot
from app.engine.export import write_text_atomically
from app.engine.files import AudioInfo
from app.engine.jobs import Job, Progress
from app.engine.label_stats import label_statistics, statistics_table
from app.engine.timecode import format_span
from app.engine.workflow import MetricsRow, metrics_table, setting_text
from models.common.results import markdown_table

SETTINGS_SHOWN = ("method", "reference_channel", "channels", "spatial_filter", "mode", "seed", "span_seconds",
                  "source_version", "swapped_seconds", "silenced_seconds", "level_seconds", "level_db",
                  "faded_in_seconds", "faded_out_seconds", "aligned", "hum_removed", "attenuated", "blend",
                  "noise_reduced")


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _settings(settings: dict) -> str:
    """The settings that tell runs apart."""
    return "; ".join(f"{key.replace('_', ' ')} {setting_text(key, settings[key])}" for key in SETTINGS_SHOWN
                     if settings.get(key) is not None)


def session_report(session: SessionSnapshot, info: AudioInfo, saved_at: Path | None = None,
                   metrics: list[MetricsRow] | None = None, metrics_scope: str = "") -> str:
    """The report as markdown; `saved_at`: the session's folder; `metrics`: the rows last computed
    (`metrics_scope` says over what)."""
    lines = ["# MeCo Studio session report", "", "## Recording", "",
             f"`{info.path}`: {info.channels} channel(s), {info.sample_rate} Hz, {info.duration_seconds:.3f} s "
             f"({info.format} {info.subtype}).", ""]
    if saved_at is not None:
        lines += [f"Session: `{saved_at}`.", ""]
    if session.notes.strip():
        lines += ["## Notes", "", session.notes.strip(), ""]
    lines += ["## Versions", ""]
    if session.versions:
        lines.append(markdown_table(
            ["Version", "Talker", "Kind", "Made by", "Device", "Made (UTC)", "Rate (Hz)", "Settings"],
            [[_cell(v.name), str(v.talker + 1), str(v.kind), _cell(v.model), v.device, v.created[:19],
              str(v.sample_rate), _cell(_settings(v.settings))] for v in session.versions]))
    else:
        lines += ["None yet.", ""]
    used = {v.model for v in session.versions}
    cards = [row for row in model_rows() if row["name"] in used]
    if cards:
        lines += ["## Models", "", markdown_table(
            ["Model", "Task", "Architecture", "Parameters", "Steps", "Trained on", "Weights sha256"],
            [[row["name"], row["task"], row["architecture"], f"{(row['parameters'] or 0) / 1e6:.2f} M",
              str(row["steps"] or ""), str(row["device"] or ""), f"`{row['sha256']}`"] for row in cards])]
    if session.references:
        lines += ["## Clean references", ""]
        lines += [f"- talker {talker + 1}: `{path}`" for talker, path in sorted(session.references.items())]
        lines.append("")
    if session.labels:
        span = format_span(session.labels[0].start, max(label.stop for label in session.labels))
        lines += ["## Labels", "", f"{len(session.labels)} label(s), over {span}.", ""]
        statistics = label_statistics(session.labels, info.duration_seconds)
        if statistics:
            header, *rows = statistics_table(statistics)
            lines += ["Per label text (a speaker, in who-speaks-when labels; a text's overlapping labels count once):",
                      "", markdown_table(header, [[_cell(c) for c in row] for row in rows])]
    if metrics:
        header, *rows = metrics_table(metrics)
        lines += ["## Metrics", "", f"At 16 kHz, {metrics_scope or 'as last computed'}; four decimals as "
                  "copied from the metrics panel; a mean over labels, and a paired "
                  "difference over them, carries the half-width of its 95 % CI.", "",
                  markdown_table(header, [[_cell(c) for c in row] for row in rows])]
    lines += ["## Software", "", markdown_table(["", "Version or place"],
                                               [[what, _cell(value)] for what, value in environment()])]
    return "\n".join(lines)


def report_job(session: SessionSnapshot, info: AudioInfo, path: Path, saved_at: Path | None = None,
               metrics: list[MetricsRow] | None = None, metrics_scope: str = "") -> Job[Path]:
    """Write the report to `path` atomically (ExportError naming it on a full disk)."""
    text = session_report(session, info, saved_at, metrics, metrics_scope)
    yield Progress("report", 1, 1, 0.0)
    return write_text_atomically(path, text)
