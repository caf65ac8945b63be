"""The README's configuration table is the one the settings' declarations render."""

from pathlib import Path

from inkwell.config import SETTINGS_END, SETTINGS_START, with_settings_markdown

README = Path(__file__).parent.parent / "README.md"


def test_readme_configuration_table_is_rendered_from_the_settings() -> None:
    text = README.read_text()
    assert text.count(SETTINGS_START) == 1
    assert text.count(SETTINGS_END) == 1
    assert with_settings_markdown(text) == text, "README.md is stale: run `make settings-doc`"
