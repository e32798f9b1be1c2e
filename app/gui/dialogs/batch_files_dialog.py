"""What the batch dialogs (Batch separation…, Batch repair…) share: the recordings, each read on
the file list's own thread; the output folder; a summary line; and `_refresh`, each dialog's own,
following every change of them."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QLineEdit, QWidget

from app.engine.batch import FileFacts
from app.engine.errors import ConfigError
from app.engine.timecode import format_duration
from app.gui.dialogs.file_list import FileList
from app.gui.dialogs.folder_row import folder_row
from app.gui.dialogs.remembered import Remembered


class BatchFilesDialog(QDialog):
    def __init__(self, title: str, caption: str, folder: Path, parent: QWidget | None = None) -> None:
        """`caption`: the file chooser's title; `folder`: the output folder offered."""
        super().__init__(parent)
        self.setWindowTitle(title)
        self.files = FileList(caption, lambda: self.folder.text(), folders=True)
        self.files.list.setMinimumHeight(140)
        self.files.accept_drops_on(self)
        self.folder = QLineEdit(str(folder))
        self.summary = QLabel(wordWrap=True)
        self.folder.textChanged.connect(self._refresh)
        self.files.changed.connect(self._refresh)
        self.files.checked.connect(self._refresh)

    def add_file_rows(self, form: QFormLayout) -> None:
        form.addRow("Recordings", self.files)
        form.addRow("Output folder", folder_row(self, self.folder, "Output folder"))

    def output_folder(self) -> Path:
        """ConfigError when none is given."""
        if not self.folder.text().strip():
            raise ConfigError("Choose an output folder.")
        return Path(self.folder.text().strip()).expanduser()

    def files_said(self) -> str:
        """"12 recordings, 3:20:05 in all (2 still being read).\""""
        count = self.files.count()
        facts = [self.files.facts(row) for row in range(count)]
        seconds = sum(f.seconds for f in facts if isinstance(f, FileFacts))
        reading = sum(f is None for f in facts)
        return (f"{count} recording{'s' if count != 1 else ''}, {format_duration(seconds, 0)} in all"
                + (f" ({reading} still being read)" if reading else "") + ".")

    def done(self, result: int) -> None:
        self.files.stop_checks()
        super().done(result)

    def remembered(self) -> Remembered:
        """The choices offered again next time (`dialogs.remembered`)."""
        raise NotImplementedError

    def _refresh(self) -> None:
        raise NotImplementedError
