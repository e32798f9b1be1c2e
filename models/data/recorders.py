"""A meeting recorded by separate devices: each with its own microphones, start, rate and clock.

The test bed for putting recorders in step (`meco-studio combine`): two talkers take turns in a
simulated room (pyroomacoustics, as the data engine's scenes) while a table-top 4-mic array, a phone
and a stereo recorder, placed apart in the room, each record it from their own moment, at their own
sample rate, on a clock a few tens of parts per million off (or on the array's own clock), with their
own self-noise. The truth kept is each recorder's clock against the array's — when it started, how
fast it runs, whether it is wired inverted — and how much later each talker reaches its first
microphone than the array's first (the part of a lag that is the room's, not the clock's).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import soxr
from scipy.signal import fftconvolve

from models.data.rooms import SPEED_OF_SOUND_M_S, RoomConfig, RoomLayout, early_part, simulate_rirs
from models.data.speech import Split, SpeechPool

RATE = 16_000                          # the room is simulated at this rate; recorders resample from it
RECORDER_RATES = (16_000, 44_100, 48_000)
MAX_PPM = 100.0                        # consumer clocks: tens of ppm, rarely more
START_SPREAD_S = 20.0                  # how far apart the recorders are started, either way
TURN_S = (2.0, 8.0)
SNR_DB = (5.0, 20.0)                   # each recorder's self-noise against the speech it hears
EARLY_MS = 50.0                        # the separator's target: direct path and early reflections
ROOM = RoomConfig(size_min_m=(5.0, 4.0, 2.6), size_max_m=(10.0, 8.0, 3.5), rt60_s=(0.2, 0.7))


@dataclass(frozen=True)
class RecorderTruth:
    name: str
    sample_rate: int
    offset_s: float            # a sound at the array's time t is at offset_s + (1 + ppm·1e-6)·t in this recorder
    ppm: float
    inverted: bool
    talker_lags_s: tuple[float, ...]   # per talker: how much later it reaches this recorder's first mic


@dataclass(frozen=True)
class Recorded:
    audio: np.ndarray          # float32 (channels, frames) at `truth.sample_rate`
    truth: RecorderTruth


@dataclass(frozen=True)
class Meeting:
    recorders: list[Recorded]  # the array first
    references: np.ndarray     # float32 (talkers, frames): each talker's direct path + 50 ms at the array's first
                               # microphone, on the array's clock and rate, as long as its recording


def _device(kind: str, rng: np.random.Generator) -> np.ndarray:
    """Microphone offsets (3, mics) from the device's centre, metres."""
    if kind == "array":                # a ReSpeaker-like circle of 4, 32 mm radius
        angles = np.arange(4) * np.pi / 2 + rng.uniform(0, np.pi / 2)
        return np.stack([0.032 * np.cos(angles), 0.032 * np.sin(angles), np.zeros(4)])
    if kind == "stereo":               # an X–Y-ish handheld pair, 10 cm apart
        angle = rng.uniform(0, np.pi)
        return np.array([[-0.05, 0.05], [0.0, 0.0], [0.0, 0.0]]) * [[np.cos(angle)], [np.sin(angle)], [0]]
    return np.zeros((3, 1))            # a phone's one microphone


def _places(size: np.ndarray, count: int, apart_m: float, rng: np.random.Generator) -> list[np.ndarray]:
    """`count` points inside the room, 0.5 m from the walls and `apart_m` from each other."""
    points: list[np.ndarray] = []
    while len(points) < count:
        p = np.array([rng.uniform(0.5, size[0] - 0.5), rng.uniform(0.5, size[1] - 0.5), rng.uniform(0.7, 1.8)])
        if all(np.linalg.norm(p - q) >= apart_m for q in points):
            points.append(p)
    return points


def _turns(frames: int, rng: np.random.Generator) -> np.ndarray:
    """(2, frames) gains: the talkers take turns of `TURN_S`, a pause or a short overlap between."""
    gains = np.zeros((2, frames), np.float32)
    at, who = 0, int(rng.integers(2))
    while at < frames:
        length = int(rng.uniform(*TURN_S) * RATE)
        gains[who, at:at + length] = 1.0
        at += length + int(rng.uniform(-0.5, 1.0) * RATE)
        at, who = max(at, 0), 1 - who
    fade = np.hanning(int(0.04 * RATE))
    return np.stack([np.convolve(g, fade / fade.sum(), mode="same") for g in gains]).astype(np.float32)


def meeting(pool: SpeechPool, seconds: float, rng: np.random.Generator, seed: int) -> Meeting:
    """The array, a phone and a stereo recorder, each `seconds` long (±10 %), the array first: its
    clock is the one the others' truths are given against."""
    size = rng.uniform(ROOM.size_min_m, ROOM.size_max_m)
    devices = ("array", "phone", "stereo")
    centres = _places(size, len(devices) + 2, 1.0, rng)
    offsets = [_device(kind, rng) for kind in devices]
    mics = np.concatenate([c[:, None] + o for c, o in zip(centres, offsets)], axis=1)
    talkers = np.stack(centres[len(devices):], axis=1)
    layout = RoomLayout(tuple(float(v) for v in size), float(rng.uniform(*ROOM.rt60_s)), mics, talkers)
    rirs = simulate_rirs(layout, ROOM, RATE, seed)                      # (mics, talkers, taps)
    span = seconds * 1.1 + 2 * START_SPREAD_S + 2.0
    frames = int(span * RATE)
    voices: list[str] = []
    speech = []
    for _ in range(2):
        audio, voice = pool.draw(Split.TEST, rng, frames, exclude=voices)
        voices.append(voice)
        speech.append(audio / (np.std(audio) + 1e-9) * 0.05)
    dry = np.stack(speech) * _turns(frames, rng)
    room = np.stack([sum(fftconvolve(dry[t], rirs[m, t])[:frames] for t in range(2)) for m in range(mics.shape[1])])
    first_mic = np.cumsum([0] + [o.shape[1] for o in offsets])
    arrival = np.linalg.norm(mics[:, :, None] - talkers[:, None, :], axis=0) / SPEED_OF_SOUND_M_S   # (mics, talkers)
    array_start = START_SPREAD_S + 1.0
    recorded = []
    for k, kind in enumerate(devices):
        start = array_start if k == 0 else array_start + rng.uniform(-START_SPREAD_S, START_SPREAD_S)
        ppm = 0.0 if k == 0 or rng.random() < 0.25 else rng.uniform(-MAX_PPM, MAX_PPM)
        rate = RECORDER_RATES[0] if k == 0 else int(rng.choice(RECORDER_RATES))
        length = seconds * rng.uniform(0.9, 1.1)
        lo, hi = first_mic[k], first_mic[k + 1]
        piece = room[lo:hi, int(start * RATE):int((start + length) * RATE) + RATE]
        audio = soxr.resample(piece.T.astype(np.float64), RATE, rate * (1 + ppm * 1e-6)).T[:, :int(length * rate)]
        level = np.sqrt(np.mean(audio ** 2))
        audio = audio + rng.standard_normal(audio.shape) * level * 10 ** (-rng.uniform(*SNR_DB) / 20)
        inverted = bool(k > 0 and rng.random() < 0.1)
        lags = tuple(float(arrival[lo, t] - arrival[0, t]) for t in range(2))
        truth = RecorderTruth(kind, rate, (1 + ppm * 1e-6) * (array_start - start), ppm, inverted, lags)
        recorded.append(Recorded(((-1.0 if inverted else 1.0) * audio).astype(np.float32), truth))
    early = early_part(rirs[0], RATE, EARLY_MS)
    at, frames_kept = int(array_start * RATE), recorded[0].audio.shape[1]
    references = np.stack([fftconvolve(dry[t], early[t])[at:at + frames_kept] for t in range(2)])
    return Meeting(recorded, references.astype(np.float32))
