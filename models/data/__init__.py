"""The data engine (issue #4): speech, rooms, arrays, noise, mixtures, fixed sets, readers.

Module map, in dependency order:
  audio, paths, synthetic -> speech (SpeechPool) -> arrays, rooms -> scenes (RirBank) -> noise
  -> mixtures (MixtureConfig, MixtureSimulator, MixtureDataset) -> fixedsets, bench, demo;
  text, voices, tts -> corpus (the Kokoro + classical speech corpus); sources (Debian, npm, pip);
  readers (LibriMix / WHAMR!, SMS-WSJ, VoiceBank-DEMAND, MeCo layout).
"""
