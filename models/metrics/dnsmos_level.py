"""How much DNSMOS reads level as quality, and that `speech.dnsmos` does not.

    python -m models.metrics.dnsmos_level --out docs/results/dnsmos-level.md

scores channel 1 of each demo recording at several gains, straight through the DNSMOS models
(as speechmos runs them) and through `speech.dnsmos` (brought to one RMS level first).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import soundfile as sf

from models.common.results import write_result
from models.metrics.speech import DNSMOS_LEVEL_DBFS, RATE, dnsmos

DEMOS = Path(__file__).resolve().parents[2] / "resources" / "demo"
GAINS_DB = (10.0, 0.0, -13.0, -26.0)
KEYS = ("sig", "bak", "ovrl")


def raw_dnsmos(audio: np.ndarray) -> dict[str, float]:
    from speechmos import dnsmos as model

    scores = model.run(audio.astype(np.float32), RATE)
    return {"sig": float(scores["sig_mos"]), "bak": float(scores["bak_mos"]), "ovrl": float(scores["ovrl_mos"])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=None, help="write the markdown table here (else stdout)")
    args = parser.parse_args(argv)
    clips = [sf.read(path, dtype="float32")[0][:, 0] for path in sorted(DEMOS.glob("*/mixture.flac"))]
    lines = ["| Gain | RMS (dBFS) | raw SIG | raw BAK | raw OVRL | SIG | BAK | OVRL |",
             "|---|---|---|---|---|---|---|---|"]
    for gain in GAINS_DB:
        scaled = [clip * 10 ** (gain / 20) for clip in clips]
        rms = np.mean([10 * np.log10(np.mean(c.astype(np.float64) ** 2)) for c in scaled])
        raw = [raw_dnsmos(np.clip(c, -1, 1)) for c in scaled]
        normalised = [dnsmos(c) for c in scaled]
        lines.append(f"| {gain:+.0f} dB | {rms:.1f} | "
                     + " | ".join(f"{np.mean([r[k] for r in raw]):.2f}" for k in KEYS) + " | "
                     + " | ".join(f"{np.mean([r[k] for r in normalised]):.2f}" for k in KEYS) + " |")
    body = "\n".join(lines) + "\n"
    note = (f"Mean over channel 1 of the {len(clips)} demo recordings. Raw: the DNSMOS models on the audio as "
            f"it is; the other columns: `models.metrics.speech.dnsmos`, which scores every clip at "
            f"{DNSMOS_LEVEL_DBFS:g} dBFS RMS.")
    command = "python -m models.metrics.dnsmos_level --out docs/results/dnsmos-level.md"
    if args.out:
        write_result(args.out, command, body, note)
    else:
        print(body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
