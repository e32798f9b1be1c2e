"""Errors a user can act on. `str()` of each is one sentence naming the file and the reason."""

from __future__ import annotations


class AppError(Exception):
    """Base of every error the engine raises on purpose; the GUI and CLI catch only this."""


class AudioFileError(AppError):
    """A file could not be opened or read as audio."""


class ChannelLayoutError(AppError):
    """A recording's channels do not fit what an operation needs."""


class ModelLoadError(AppError):
    """A model card or its weights could not be loaded."""


class CheckpointError(ModelLoadError):
    """A checkpoint file is missing, corrupt or does not match its card."""


class ConfigError(AppError):
    """A setting has a value the engine cannot use."""


class ExportError(AppError):
    """Writing an output file failed; nothing partial is left behind."""


class PlaybackError(AppError):
    """The audio device could not play."""


class JobCancelled(AppError):
    """A job was stopped by the user at a chunk boundary."""
