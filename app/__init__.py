"""MeCo Studio: separate, correct and inspect multi-talker microphone-array recordings."""

__version__ = "0.1.0"
