"""Result snippets name the command that produced them, in one format."""

from models.common.results import markdown_table, produced_by, write_result


def test_a_result_opens_with_the_command_and_its_note(tmp_path):
    path = tmp_path / "docs" / "table.md"
    write_result(path, "meco-studio bench files", "| a |\n|---|\n", "Mean of 3 runs.")
    assert path.read_text() == "Produced by `meco-studio bench files`. Mean of 3 runs.\n\n| a |\n|---|\n"


def test_a_result_without_a_note_ends_its_opening_line_with_a_full_stop():
    assert produced_by("python -m models.meco.evaluation") == "Produced by `python -m models.meco.evaluation`."


def test_a_markdown_table_has_its_header_a_rule_and_a_line_per_row():
    assert markdown_table(["Model", "PESQ-WB"], [["teacher", "1.45"], ["student", "1.34"]]) == (
        "| Model | PESQ-WB |\n|---|---|\n| teacher | 1.45 |\n| student | 1.34 |\n")
