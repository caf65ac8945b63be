"""The ceiling: a bare Flask app answering with a precomputed list payload.

Served with the same Gunicorn settings as Inkwell, it shows what this machine,
Gunicorn and Flask can do with no database and no serialization, so every
Inkwell figure can be read as a fraction of it.
"""

import os
from pathlib import Path

from flask import Flask, Response

PAYLOAD = Path(os.environ["INKWELL_BENCH_PAYLOAD"]).read_bytes()

app = Flask(__name__)


@app.get("/api/articles")
def articles() -> Response:
    return Response(PAYLOAD, mimetype="application/json")
