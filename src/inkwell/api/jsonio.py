"""Reading JSON bodies: at any depth, and refusing text no database can store.

PostgreSQL rejects NUL characters in text, and no driver can encode a lone
UTF-16 surrogate (which JSON's \\ud800 escapes can produce). Refusing them
when the body is read turns what would be a database error into a 422.
"""

from __future__ import annotations

import re
from typing import Any

from flask.json.provider import DefaultJSONProvider

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class DepthSafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON, where nesting too deep for the parser is malformed JSON
    (a ValueError, so a 400) rather than a RecursionError (a 500)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON text is nested too deeply") from None


def has_unstorable_text(value: Any) -> bool:
    """Whether any string in `value` holds a NUL or a lone surrogate.

    Walks without recursion, so nesting depth cannot exhaust the stack.
    """
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if UNSTORABLE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False
