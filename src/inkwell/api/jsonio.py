"""JSON parsing that refuses text no database can store.

PostgreSQL rejects NUL characters in text, and no driver can encode a lone
UTF-16 surrogate (which JSON's \\ud800 escapes can produce). Refusing them when
the body is parsed turns what would be a database error into a 422.
"""

from __future__ import annotations

import re
from typing import Any

from flask.json.provider import DefaultJSONProvider

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class StorableJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with incoming strings checked for unstorable characters."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        value = super().loads(s, **kwargs)
        if _has_unstorable(value):
            raise ValueError("JSON text contains characters that cannot be stored")
        return value


def _has_unstorable(value: Any) -> bool:
    if isinstance(value, str):
        return UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_unstorable(k) or _has_unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_unstorable(item) for item in value)
    return False
