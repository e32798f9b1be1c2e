"""What the app remembers between runs, stored with QSettings ("MeCoStudio", "MeCo Studio").

Values come back as strings on some platforms, so every read goes through a typed parser and
falls back to the default (logged) when a stored value is unusable.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import logging
import sys
from enum import StrEnum
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from app.engine.combine import DEFAULT_MAX_OFFSET_S, CombineSettings, Keep
from app.engine.delay_track import DEFAULT_REACH_S, MAX_REACH_S
from app.engine.errors import AppError, ConfigError
from app.engine.export import DEFAULT_TEMPLATE, AudioFormat, ExportPreset, ExportSettings, PeakPolicy, SampleFormat
from app.engine.pitch import PitchSettings
from app.engine.spectrogram import SpectrogramSettings
from models.inference.chunked import ChunkConfig

log = logging.getLogger(__name__)

class Theme(StrEnum):
    DARK = "dark"
    LIGHT = "light"


@dataclasses.dataclass(frozen=True)
class ExportChoices:
    """The export dialog's last choices, offered again next time (never "overwrite")."""

    settings: ExportSettings = ExportSettings()
    template: str = DEFAULT_TEMPLATE
    folder: Path | None = None         # None: the recording's own folder
    multichannel: bool = False         # one file, a channel per version


ORGANISATION = "MeCoStudio"
APPLICATION = "MeCo Studio"
MAX_RECENT_FILES = 10
WINDOW_LAYOUT_KEYS = ("geometry", "docks", "splitter")


class StoredSettings:
    """Typed access to the app's QSettings."""

    def __init__(self) -> None:
        self._q = QSettings(ORGANISATION, APPLICATION)

    def spectrogram(self) -> SpectrogramSettings:
        self._q.beginGroup("spectrogram")
        stored = {key: self._q.value(key) for key in self._q.childKeys()}
        self._q.endGroup()
        try:
            return SpectrogramSettings.from_dict(stored)
        except ConfigError as err:
            log.warning("stored spectrogram settings ignored: %s", err)
            return SpectrogramSettings()

    def set_spectrogram(self, settings: SpectrogramSettings) -> None:
        for key, value in dataclasses.asdict(settings).items():
            self._q.setValue(f"spectrogram/{key}", str(value))

    def recent_files(self) -> list[str]:
        value = self._q.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in value or []]

    def add_recent_file(self, path: Path) -> list[str]:
        entry = str(Path(path).resolve())
        files = [entry] + [f for f in self.recent_files() if f != entry]
        self._q.setValue("recent_files", files[:MAX_RECENT_FILES])
        return files[:MAX_RECENT_FILES]

    def clear_recent_files(self) -> None:
        self._q.setValue("recent_files", [])

    def output_device(self) -> str | None:
        """The output device by name: PortAudio's indices change when devices come and go."""
        value = self._q.value("playback/output_device", "")
        return str(value) if value else None

    def set_output_device(self, device: str | None) -> None:
        self._q.setValue("playback/output_device", device or "")

    def input_device(self) -> str | None:
        """The recording device by name, as for `output_device`."""
        value = self._q.value("audio/input_device")
        return str(value) if value else None

    def set_input_device(self, device: str | None) -> None:
        self._q.setValue("audio/input_device", device or "")

    def shortcut_changes(self) -> dict[str, list[str]]:
        """Keyboard shortcuts the user changed: action name → its keys (portable text; none: no shortcut)."""
        value = self._q.value("keyboard/changes", "")
        try:
            changes = json.loads(str(value)) if value else {}
        except json.JSONDecodeError:
            changes = None
        if not isinstance(changes, dict) or not all(
                isinstance(keys, list) and all(isinstance(k, str) for k in keys) for keys in changes.values()):
            log.warning("stored keyboard shortcuts ignored: %r", value)
            return {}
        return {str(name): keys for name, keys in changes.items()}

    def set_shortcut_changes(self, changes: dict[str, list[str]]) -> None:
        self._q.setValue("keyboard/changes", json.dumps(changes))

    def further_input_devices(self) -> list[str]:
        """The devices recorded together with the input device last time (File ▸ Record…'s Add a device)."""
        value = self._q.value("audio/further_input_devices")
        return [name for name in str(value).split("\n") if name] if value else []

    def set_further_input_devices(self, devices: list[str]) -> None:
        self._q.setValue("audio/further_input_devices", "\n".join(devices))

    def record_folder(self) -> Path | None:
        value = self._q.value("audio/record_folder")
        return Path(str(value)) if value and Path(str(value)).is_dir() else None

    def set_record_folder(self, folder: Path) -> None:
        self._q.setValue("audio/record_folder", str(folder))

    def record_levels(self) -> bool:
        """Whether File ▸ Record… shows the input levels before the take (on unless turned off)."""
        return str(self._q.value("audio/record_levels", "true")).lower() == "true"

    def set_record_levels(self, on: bool) -> None:
        self._q.setValue("audio/record_levels", "true" if on else "false")

    def monitor_channels(self) -> tuple[int, ...]:
        value = str(self._q.value("playback/monitor_channels", "0"))
        try:
            channels = tuple(int(v) for v in value.split(",") if v.strip())
        except ValueError:
            return (0,)
        return channels or (0,)

    def set_monitor_channels(self, channels: tuple[int, ...]) -> None:
        self._q.setValue("playback/monitor_channels", ",".join(str(c) for c in channels))

    def compute_device(self) -> str:
        """"cpu" or "cuda:N" for jobs; a stored CUDA device that is gone falls back to the CPU."""
        value = str(self._q.value("compute/device", "cpu"))
        return value if value == "cpu" or value in compute_devices() else "cpu"

    def set_compute_device(self, device: str) -> None:
        self._q.setValue("compute/device", device)

    def model(self, task: str) -> str | None:
        """The card chosen for a task ("separation", "correction", ...); None: the first installed."""
        value = self._q.value(f"models/{task}", "")
        return str(value) if value else None

    def set_model(self, task: str, name: str | None) -> None:
        self._q.setValue(f"models/{task}", name or "")

    def threads(self) -> int:
        """Torch CPU threads for jobs; 0: torch's own choice."""
        try:
            return max(0, int(self._q.value("compute/threads", 0)))
        except (TypeError, ValueError):
            return 0

    def set_threads(self, threads: int) -> None:
        self._q.setValue("compute/threads", str(threads))

    def theme(self) -> Theme:
        try:
            return Theme(str(self._q.value("appearance/theme", Theme.DARK)))
        except ValueError:
            return Theme.DARK

    def set_theme(self, theme: Theme) -> None:
        self._q.setValue("appearance/theme", str(theme))

    def follow_playback(self) -> bool:
        """Whether the view pages along with the playhead while playing (on unless turned off)."""
        return str(self._q.value("view/follow_playback", "true")).lower() == "true"

    def set_follow_playback(self, on: bool) -> None:
        self._q.setValue("view/follow_playback", "true" if on else "false")

    def pitch_shown(self) -> bool:
        """Whether View ▸ Pitch track draws F0 over the spectrograms (off unless turned on)."""
        return str(self._q.value("view/pitch_track", "false")).lower() == "true"

    def set_pitch_shown(self, on: bool) -> None:
        self._q.setValue("view/pitch_track", "true" if on else "false")

    def pitch_settings(self) -> PitchSettings:
        """The F0 range the pitch track searches; the default when what is stored is unusable."""
        try:
            return PitchSettings(float(self._q.value("pitch/floor_hz", PitchSettings.floor_hz)),
                                 float(self._q.value("pitch/ceiling_hz", PitchSettings.ceiling_hz)))
        except (ConfigError, TypeError, ValueError) as err:
            log.warning("stored pitch range ignored: %s", err)
            return PitchSettings()

    def set_pitch_settings(self, settings: PitchSettings) -> None:
        self._q.setValue("pitch/floor_hz", settings.floor_hz)
        self._q.setValue("pitch/ceiling_hz", settings.ceiling_hz)

    def chunk(self) -> ChunkConfig:
        """Chunk length of model jobs: the cancel granularity and the memory they need."""
        try:
            return ChunkConfig(seconds=float(self._q.value("compute/chunk_seconds", ChunkConfig.seconds)))
        except (TypeError, ValueError):
            return ChunkConfig()

    def set_chunk_seconds(self, seconds: float) -> None:
        self._q.setValue("compute/chunk_seconds", str(seconds))

    def delays_reach_s(self) -> float:
        """The Delays panel's reach as last used (an array's size does not change between its recordings)."""
        try:
            reach = float(self._q.value("delays/reach_s", DEFAULT_REACH_S))
        except (TypeError, ValueError):
            return DEFAULT_REACH_S
        return reach if 0 < reach <= MAX_REACH_S else DEFAULT_REACH_S

    def set_delays_reach_s(self, reach: float) -> None:
        self._q.setValue("delays/reach_s", str(reach))

    def dialog_choices(self, dialog: str) -> dict[str, str]:
        """A dialog's choices as it was last accepted (`dialogs.remembered`), as text by name."""
        self._q.beginGroup(f"dialogs/{dialog}")
        stored = {key: str(self._q.value(key)) for key in self._q.childKeys()}
        self._q.endGroup()
        return stored

    def set_dialog_choices(self, dialog: str, choices: dict[str, str]) -> None:
        for name, value in choices.items():
            self._q.setValue(f"dialogs/{dialog}/{name}", value)

    def combine_settings(self) -> CombineSettings:
        """File ▸ Combine recorders into one array…'s choices as last used (the recorders differ each time)."""
        try:
            rate = self._q.value("combine/sample_rate", "")
            return CombineSettings(int(rate) if rate else None, float(self._q.value("combine/max_offset_s",
                                                                                  DEFAULT_MAX_OFFSET_S)),
                                   Keep(str(self._q.value("combine/keep", Keep.OVERLAP.value))),
                                   str(self._q.value("combine/drift", "true")) == "true")
        except (TypeError, ValueError, AppError):
            return CombineSettings()

    def set_combine_settings(self, settings: CombineSettings) -> None:
        self._q.setValue("combine/sample_rate", "" if settings.sample_rate is None else str(settings.sample_rate))
        self._q.setValue("combine/max_offset_s", str(settings.max_offset_s))
        self._q.setValue("combine/keep", settings.keep.value)
        self._q.setValue("combine/drift", "true" if settings.drift else "false")

    def export_choices(self) -> ExportChoices:
        self._q.beginGroup("export")
        stored = {key: str(self._q.value(key)) for key in self._q.childKeys()}
        self._q.endGroup()
        defaults = ExportSettings()
        try:
            loudness = stored.get("loudness_lufs", "")
            settings = ExportSettings(stored.get("format", defaults.format),
                                      stored.get("sample_format", defaults.sample_format),
                                      stored.get("peak", defaults.peak),
                                      loudness_lufs=float(loudness) if loudness else None)
        except (ConfigError, ValueError) as err:
            log.warning("stored export choices ignored: %s", err)
            return ExportChoices()
        folder = Path(stored["folder"]) if stored.get("folder") and Path(stored["folder"]).is_dir() else None
        return ExportChoices(settings, stored.get("template") or DEFAULT_TEMPLATE, folder,
                             stored.get("multichannel") == "true")

    def set_export_choices(self, choices: ExportChoices) -> None:
        settings = choices.settings
        for key, value in (("format", settings.format), ("sample_format", settings.sample_format),
                           ("peak", settings.peak), ("template", choices.template),
                           ("loudness_lufs", "" if settings.loudness_lufs is None else settings.loudness_lufs),
                           ("folder", choices.folder or ""), ("multichannel", str(choices.multichannel).lower())):
            self._q.setValue(f"export/{key}", str(value))

    def export_presets(self) -> list[ExportPreset]:
        """The export presets the user saved, by name; one that no longer reads is left out (logged)."""
        self._q.beginGroup("export_presets")
        names = self._q.childGroups()
        self._q.endGroup()
        presets = []
        for name in sorted(names):
            value = {key: str(self._q.value(f"export_presets/{name}/{key}", "")) for key in
                     ("title", "format", "sample_format", "model_rate", "loudness_lufs", "peak")}
            try:
                presets.append(ExportPreset(name, value["title"] or name, AudioFormat(value["format"]),
                                            SampleFormat(value["sample_format"]), value["model_rate"] == "true",
                                            float(value["loudness_lufs"]) if value["loudness_lufs"] else None,
                                            PeakPolicy(value["peak"])))
            except ValueError as err:
                log.warning("stored export preset %r ignored: %s", name, err)
        return presets

    def save_export_preset(self, preset: ExportPreset) -> None:
        for key, value in (("title", preset.name), ("format", preset.format), ("sample_format", preset.sample_format),
                           ("model_rate", str(preset.model_rate).lower()), ("peak", preset.peak),
                           ("loudness_lufs", "" if preset.loudness_lufs is None else preset.loudness_lufs)):
            self._q.setValue(f"export_presets/{preset.key}/{key}", str(value))

    def delete_export_preset(self, key: str) -> None:
        self._q.remove(f"export_presets/{key}")

    def window_layout(self) -> dict[str, QByteArray]:
        """The main window's geometry, dock layout and splitter as last closed (absent: never stored)."""
        layout = {key: self._q.value(f"window/{key}") for key in WINDOW_LAYOUT_KEYS}
        return {key: value for key, value in layout.items() if isinstance(value, QByteArray) and not value.isEmpty()}

    def set_window_layout(self, layout: dict[str, QByteArray]) -> None:
        for key in WINDOW_LAYOUT_KEYS:
            self._q.setValue(f"window/{key}", layout[key])

    def sync(self) -> None:
        self._q.sync()


def cuda_possible() -> bool:
    """Whether CUDA devices can exist here, known without importing torch (over a second, most
    of it holding the GIL: the window would stall): a CPU build of torch, or a Linux machine
    without NVIDIA's driver, has none."""
    if "torch" in sys.modules:
        return True
    if importlib.metadata.version("torch").endswith("+cpu"):
        return False
    return sys.platform != "linux" or Path("/proc/driver/nvidia").exists()


def compute_devices() -> dict[str, str]:
    """Device id -> what the user sees: the CPU, and each CUDA device with its name and memory."""
    devices = {"cpu": "CPU"}
    if not cuda_possible():
        return devices
    import torch

    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(index)
            devices[f"cuda:{index}"] = f"CUDA {index}: {props.name} ({props.total_memory / 2**30:.0f} GiB)"
    return devices
