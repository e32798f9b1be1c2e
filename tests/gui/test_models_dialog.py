"""Process ▸ Models…: the installed models with their cards; a user's own model installs as a job,
joins the window's menus, and can be removed; shipped ones cannot."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from tests.engine.test_model_store import trained_card
from tests.gui.test_workflow import save_screenshot, wait_done


@pytest.fixture(autouse=True)
def own_user_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def test_the_dialog_lists_the_shipped_models_with_their_cards(qtbot, window):
    dialog = window.open_models()
    names = [dialog.tree.topLevelItem(k).text(0) for k in range(dialog.tree.topLevelItemCount())]
    assert {"tacband-separator", "meco", "enh-teacher"} <= set(names)
    dialog.tree.topLevelItem(names.index("meco")).setSelected(True)
    assert dialog.details.toPlainText().startswith("meco (correction)") and '"sha256"' in dialog.details.toPlainText()
    assert not dialog.remove_button.isEnabled()                         # shipped: it stays


def test_an_installed_model_joins_the_enhance_menu_and_can_be_removed(qtbot, window, tmp_path):
    dialog = window.open_models()
    dialog.install(trained_card(tmp_path / "run"))
    wait_done(qtbot, window, window.jobs.entries[-1])
    assert "Installed my-student (enhancement)." == dialog.status.text()
    assert any(a.text().startswith("my-student") for a in window.enhance_menu.actions())
    row = [e.name for e in dialog.entries].index("my-student")
    dialog.tree.topLevelItem(row).setSelected(True)
    assert dialog.tree.topLevelItem(row).text(5) == "yours"
    save_screenshot(dialog, "models-dialog.png")
    dialog.remove_button.click()
    assert "my-student" not in [e.name for e in dialog.entries]
    assert not any(a.text().startswith("my-student") for a in window.enhance_menu.actions())


def test_installing_a_name_already_installed_asks_before_replacing(qtbot, window, tmp_path):
    dialog = window.open_models()
    dialog.install(trained_card(tmp_path / "first"))
    wait_done(qtbot, window, window.jobs.entries[-1])
    dialog.install(trained_card(tmp_path / "second"))
    box = dialog.findChild(QMessageBox)
    assert "installed already" in box.text()
    box.button(QMessageBox.StandardButton.Yes).click()
    wait_done(qtbot, window, window.jobs.entries[-1])
    installed = [e for e in dialog.entries if e.name == "my-student"]
    assert len(installed) == 1 and dialog.status.text() == "Installed my-student (enhancement)."
