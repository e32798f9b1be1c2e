"""DISPatch: distilling selective spectrogram patches (Kim & Choi, ICASSP 2026), with MSSP.

`patches` holds the grid, the knowledge gap score, top-k selection and the MSSP band split;
`losses` the L2 and DFKD distillation losses built on them; `inspect` what the app draws.
"""
