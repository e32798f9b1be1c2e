"""`meco-studio devices`: the audio inputs and outputs PortAudio sees, and the compute devices torch sees."""

from __future__ import annotations

import argparse

from app.commands import HelpFormatter
from app.commands.output import emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("devices", help="list audio input and output devices and compute devices",
                       formatter_class=HelpFormatter)
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


def _audio_devices() -> tuple[list[dict], list[dict], str]:
    """(inputs, outputs, problem): every PortAudio device by direction."""
    try:
        import sounddevice as sd
    except OSError as err:   # PortAudio missing: say so instead of failing the listing
        return [], [], f"PortAudio is not available ({err}); install libportaudio2."
    found: dict[str, list[dict]] = {"input": [], "output": []}
    for index, dev in enumerate(sd.query_devices()):
        host = sd.query_hostapis(dev["hostapi"])["name"]
        for kind, default in zip(("input", "output"), sd.default.device):
            if dev[f"max_{kind}_channels"] > 0:
                found[kind].append({"index": index, "name": dev["name"], "host_api": host,
                                    "channels": dev[f"max_{kind}_channels"],
                                    "default_sample_rate": dev["default_samplerate"], "default": index == default})
    return found["input"], found["output"], "" if found["output"] or found["input"] else "No audio device found."


def _compute_devices() -> list[dict]:
    import torch

    found = [{"name": "cpu", "description": f"CPU, {torch.get_num_threads()} threads"}]
    for k in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(k)
        found.append({"name": f"cuda:{k}", "description": f"{props.name}, {props.total_memory / 2**30:.0f} GiB"})
    return found


def _lines(title: str, devices: list[dict]) -> list[str]:
    return [title] + [f"  [{d['index']}] {d['name']} ({d['host_api']}, {d['channels']} ch, "
                      f"{d['default_sample_rate']:.0f} Hz){' *default' if d['default'] else ''}" for d in devices]


def run(args: argparse.Namespace) -> int:
    inputs, outputs, problem = _audio_devices()
    compute = _compute_devices()
    lines = _lines("Audio inputs:", inputs) + _lines("Audio outputs:", outputs)
    if problem:
        lines.append(f"  {problem}")
    lines += ["Compute devices:"] + [f"  {d['name']}: {d['description']}" for d in compute]
    emit({"audio_inputs": inputs, "audio_outputs": outputs, "audio_problem": problem, "compute": compute},
         args.json, lines)
    return 0
