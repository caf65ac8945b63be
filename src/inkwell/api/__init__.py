"""The JSON API, wire-compatible with the RealWorld ("Conduit") spec.

Routes only translate: JSON in, a service call, JSON out. Every rule lives in
`inkwell.services`.
"""

from inkwell.api import articles, comments, profiles, search, users  # noqa: F401  (registers routes)
from inkwell.api.blueprint import bp

__all__ = ["bp"]
