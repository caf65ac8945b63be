"""The README's configuration table covers every setting Inkwell reads."""

from pathlib import Path

from inkwell.config import SETTINGS_DOC

README = Path(__file__).parent.parent / "README.md"


def test_readme_documents_every_setting() -> None:
    text = README.read_text()
    for name, _default, _meaning in SETTINGS_DOC:
        assert f"| `{name}` |" in text, name
