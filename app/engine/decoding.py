"""Recordings in formats libsndfile cannot read: a phone's AAC voice memo (.m4a), a camera's or a
video call's audio (.mp4, .mov, .webm, .mkv), .3gp, .wma, .amr. FFmpeg (through PyAV) decodes the
audio streams once (several side by side, as a camera records each microphone input as a stream
of its own), into a float WAV in the cache, which the app then reads as any WAV
(memory-mapped, so an hour costs no more memory than a minute). The user's file is only read; the
decoded copy is keyed by the file's path, size and modification time, so opening it again costs
nothing and a file changed since is decoded anew. It lives in the cache (`app_cache_dir`): removing
it loses nothing but the time to decode again.

Encoders put a few hundred samples of silence ahead of the sound (AAC's priming); the samples the
container places before time zero are dropped, as players drop them.
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from app.engine.errors import AudioFileError
from app.engine.jobs import Job, Progress, Stopwatch, drive
from app.engine.paths import app_cache_dir

DECODED_SUFFIXES = {".m4a", ".mp4", ".m4v", ".mov", ".aac", ".3gp", ".webm", ".mkv", ".wma", ".amr"}
PROGRESS_SECONDS = 30.0          # of audio decoded between progress reports


def needs_decoding(path: Path) -> bool:
    return Path(path).suffix.lower() in DECODED_SUFFIXES


def decoded_dir() -> Path:
    return app_cache_dir() / "decoded"


def decoded_path(path: Path) -> Path:
    """Where `path`'s decoded copy is kept: named after it, keyed by its path, size and time."""
    path = Path(path)
    stat = path.stat()
    key = hashlib.sha256(f"{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    return decoded_dir() / f"{path.stem}-{key}.wav"


def decoded_copy(path: Path) -> Path:
    """`path`'s decoded WAV, decoded now unless the cache holds it (the command line's way; the
    window decodes in a job first, `decode_job`)."""
    target = decoded_path(path)
    return target if target.exists() else drive(decode_job(path))


def decode_job(path: Path) -> Job[Path]:
    """Decode every audio stream of `path` into its cached WAV (`decoded_path`), side by side as
    channels in the container's order (a camera that records each microphone input as a stream of
    its own gives each its channel), at the first stream's rate, a progress step every
    `PROGRESS_SECONDS` of audio; AudioFileError naming the file when FFmpeg cannot read it or it
    holds no audio. Written under temporary names and renamed when complete."""
    import av          # FFmpeg; loaded by the first file that needs it

    path = Path(path)
    target = decoded_path(path)
    streams = _audio_streams(path)
    rate = streams[0][0]
    target.parent.mkdir(parents=True, exist_ok=True)
    parts: list[Path] = []
    try:
        for index in range(len(streams)):
            parts.append(_temporary(target))
            yield from _decode_stream(path, index, len(streams), rate, parts[-1])
        if len(parts) == 1:
            os.replace(parts[0], target)
        else:
            merged = _temporary(target)
            parts.append(merged)
            _side_by_side(parts[:-1], merged, rate)
            os.replace(merged, target)
    except (av.FFmpegError, ValueError) as err:
        raise AudioFileError(f"{path.name} could not be decoded: {err}.") from err
    except (OSError, RuntimeError) as err:          # the cache's disk: full, read-only, gone
        reason = "the disk is full" if getattr(err, "errno", None) == errno.ENOSPC or "space" in str(err) else err
        raise AudioFileError(f"{path.name} could not be decoded into the cache ({target.parent}): {reason}. "
                             "Free some space (Settings ▸ Decoded copies) and open it again.") from err
    finally:
        for part in parts:
            part.unlink(missing_ok=True)
    return target


def _audio_streams(path: Path) -> list[tuple[int, int]]:
    """(rate, channels) of each audio stream of `path`; AudioFileError when there is none usable."""
    import av

    try:
        with av.open(str(path)) as container:
            found = [(int(s.rate or 0), int(s.codec_context.channels or 0)) for s in container.streams.audio]
    except (av.FFmpegError, OSError, ValueError) as err:
        raise AudioFileError(f"{path.name} could not be read as audio: {err}.") from err
    if not found:
        raise AudioFileError(f"{path.name} holds no audio stream (a video without sound?).")
    for rate, channels in found:
        if rate <= 0 or channels <= 0:
            raise AudioFileError(f"{path.name} has an audio stream of {channels} channel(s) at {rate} Hz, which "
                                 "cannot be read.")
    return found


def _temporary(target: Path) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".part.wav", dir=target.parent)
    os.close(fd)
    return Path(tmp)


def _decode_stream(path: Path, index: int, count: int, rate: int, into: Path) -> Job[int]:
    """Audio stream `index` of `path` decoded into the float WAV `into` at `rate` (resampled when
    it has another); how many frames."""
    import av
    import soxr

    clock = Stopwatch()
    with av.open(str(path)) as container:
        stream = container.streams.audio[index]
        own, channels = int(stream.rate), int(stream.codec_context.channels)
        expected = float(stream.duration * stream.time_base) if stream.duration else \
            (container.duration / 1e6 if container.duration else 0.0)
        resampler = soxr.ResampleStream(own, rate, channels, dtype="float32") if own != rate else None
        stage = f"decode {path.name}" + (f" (stream {index + 1} of {count})" if count > 1 else "")
        written, decoded, said = 0, 0, 0.0
        with sf.SoundFile(into, "w", rate, channels, subtype="FLOAT", format="RF64") as out:
            for frame in container.decode(stream):
                block = _planar(frame.to_ndarray(), channels)
                start = frame.pts * frame.time_base * own if frame.pts is not None else decoded
                if start < 0:            # the encoder's priming, before time zero
                    block = block[:, min(block.shape[1], round(-start)):]
                decoded += block.shape[1]
                samples = block.T if resampler is None else resampler.resample_chunk(np.ascontiguousarray(block.T))
                out.write(samples)
                written += samples.shape[0]
                if decoded / own - said >= PROGRESS_SECONDS:
                    said = decoded / own
                    yield Progress(stage, round(said), max(round(expected), round(said)), clock())
            if resampler is not None:
                tail = resampler.resample_chunk(np.zeros((0, channels), np.float32), last=True)
                out.write(tail)
                written += tail.shape[0]
    if written < 2:
        raise AudioFileError(f"{path.name} holds no audio frames.")
    return written


def _side_by_side(parts: list[Path], into: Path, rate: int) -> None:
    """The streams' WAVs `parts` written as one, their channels side by side, the shorter ones
    padded with silence to the longest."""
    block = round(PROGRESS_SECONDS * rate)
    sources = [sf.SoundFile(part) for part in parts]
    try:
        frames = max(source.frames for source in sources)
        channels = sum(source.channels for source in sources)
        with sf.SoundFile(into, "w", rate, channels, subtype="FLOAT", format="RF64") as out:
            for at in range(0, frames, block):
                n = min(block, frames - at)
                out.write(np.concatenate([_padded(source.read(n, dtype="float32", always_2d=True), n)
                                          for source in sources], axis=1))
    finally:
        for source in sources:
            source.close()


def _padded(samples: np.ndarray, n: int) -> np.ndarray:
    return samples if samples.shape[0] == n else np.pad(samples, ((0, n - samples.shape[0]), (0, 0)))


def _planar(samples: np.ndarray, channels: int) -> np.ndarray:
    """A decoded frame as float32 `(channels, n)`: planar formats come as such, packed ones as one
    interleaved row; integer samples scaled to ±1."""
    if samples.ndim == 2 and samples.shape[0] == 1 and channels > 1:
        samples = samples.reshape(-1, channels).T
    if np.issubdtype(samples.dtype, np.integer):
        samples = samples.astype(np.float32) / float(np.iinfo(samples.dtype).max + 1)
    return np.ascontiguousarray(samples, dtype=np.float32)


def decoded_usage() -> tuple[int, int]:
    """How many decoded copies the cache holds, and their bytes."""
    sizes = [f.stat().st_size for f in decoded_dir().glob("*.wav")] if decoded_dir().is_dir() else []
    return len(sizes), sum(sizes)


def remove_decoded(keep: set[Path] = frozenset()) -> int:
    """Delete the cache's decoded copies but those in `keep` (being read); how many went. Each
    recording is decoded again the next time it is opened."""
    removed = 0
    for copy in decoded_dir().glob("*.wav") if decoded_dir().is_dir() else ():
        if copy not in keep:
            copy.unlink(missing_ok=True)
            removed += 1
    return removed
