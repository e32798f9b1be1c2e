"""Name filters of the file dialogs, one place for each kind of file the app reads or writes."""

from __future__ import annotations

from app.engine.files import AUDIO_SUFFIXES

AUDIO_FILTER = f"Audio files ({' '.join('*' + suffix for suffix in sorted(AUDIO_SUFFIXES))});;All files (*)"
RECORDING_EXPORT_FILTER = "FLAC (*.flac);;WAV (*.wav);;OGG Vorbis (*.ogg);;MP3 (*.mp3)"
LABEL_FILTER = ("Label files (*.txt *.rttm *.TextGrid *.vtt *.srt);;Audacity label files (*.txt);;"
                "RTTM, who speaks when (*.rttm);;Praat TextGrid (*.TextGrid);;WebVTT subtitles (*.vtt);;"
                "SubRip subtitles (*.srt);;All files (*)")
SESSION_FILTER = "MeCo Studio sessions (*.mecosession)"
