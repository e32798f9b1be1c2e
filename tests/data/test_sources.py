from __future__ import annotations

import zipfile

import numpy as np
import soundfile as sf

from models.data.sources import extract_zip_audio, real_speech_utterances
from models.data.speech import Split


def _wav(path, seconds=1.0, rate=8000):
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, 0.1 * np.sin(np.arange(int(seconds * rate)) / 5), rate)
    return path


def test_real_speech_takes_the_speaker_from_asterisk_folder_names_and_one_voice_per_ktuberling_language(tmp_path):
    _wav(tmp_path / "ast" / "en_US_f_Allison" / "digits" / "1.wav")
    _wav(tmp_path / "ast" / "es_MX_f_Allison" / "hola.wav")
    _wav(tmp_path / "ast" / "it_IT_m_Carlo" / "ciao.wav", seconds=0.2)  # too short: dropped
    _wav(tmp_path / "kt" / "fr" / "chapeau.wav", rate=44100)
    _wav(tmp_path / "kt" / "sr@latin" / "kapa.wav", rate=44100)  # a respelling of sr: dropped
    utts = real_speech_utterances(tmp_path / "ast", tmp_path / "kt")
    assert sorted(u.voice_id for u in utts) == ["asterisk:Allison", "asterisk:Allison", "ktuberling:fr"]
    assert all(u.split == Split.REAL for u in utts)
    assert {u.sex for u in utts if u.engine == "asterisk"} == {"female"}


def test_zip_audio_extraction_keeps_only_the_wanted_folders_and_no_voices(tmp_path):
    archive = tmp_path / "public.zip"
    clip = _wav(tmp_path / "clip.wav")
    with zipfile.ZipFile(archive, "w") as z:
        z.write(clip, "audio/ambient/weather/rain.wav")
        z.write(clip, "audio/ambient/crowd_cheer.wav")  # vocal: excluded by name
        z.write(clip, "audio/voice/greek/attack.wav")
        z.write(clip, "art/textures/readme.txt")
    out = tmp_path / "out"
    assert extract_zip_audio(archive, ("audio/ambient/",), out) == 1
    assert [p.name for p in out.iterdir()] == ["audio-ambient-weather-rain.wav"]
