"""Qt-free engine: files, documents, jobs, playback, export. Never imports Qt."""
