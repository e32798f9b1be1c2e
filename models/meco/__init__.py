"""MeCo: the MeanFlow one-step generative corrector (Kim & Choi, 2026) for separator estimates."""
