"""Rate-limit rules shared by the API and the web pages, read from the app's settings.

Failed sign-ins are counted once for both interfaces, by three rules:

- per account and client address (INKWELL_LOGIN_LIMIT): the guesses one
  address may make at one account;
- per client address (INKWELL_LOGIN_ADDRESS_LIMIT): one address spraying
  guesses over many accounts;
- per account (INKWELL_LOGIN_ACCOUNT_LIMIT): many addresses guessing at one
  account. Past it, only addresses that have not failed on that account may
  try, so a flood of failures from elsewhere never locks the owner out,
  while each attacking address is down to one guess per window.

Only refused passwords count; a blank field is not a guess. The counters
live in Flask-Limiter's storage (Redis when configured, so every worker
shares them). Registrations count per address, through Flask-Limiter.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse_many
from werkzeug.exceptions import TooManyRequests

from inkwell.extensions import limiter
from inkwell.models.identity import identity_key
from inkwell.services.errors import Unauthorized

SCOPE = "inkwell-sign-in"


@contextmanager
def limited_sign_in(email: str) -> Iterator[None]:
    """Guard a sign-in with `email`: 429 before the block if a rule holds it back,
    and a refused password (`Unauthorized` leaving the block) counted against
    every rule. Both sign-in views use it, so they share one count."""
    attempt = SignInAttempt.of(email)
    attempt.refuse_if_limited()
    try:
        yield
    except Unauthorized:
        attempt.failed()
        raise


def register_limit() -> str:
    """INKWELL_REGISTER_LIMIT, e.g. "100 per hour"."""
    return str(current_app.config["INKWELL_REGISTER_LIMIT"])


@dataclass(frozen=True, slots=True)
class SignInAttempt:
    """One try at signing in to `account` (the email's identity key) from `address`."""

    account: str
    address: str

    @classmethod
    def of(cls, email: str) -> SignInAttempt:
        """The attempt the current request makes with `email`."""
        return cls(account=identity_key(email.strip()), address=get_remote_address())

    def refuse_if_limited(self) -> None:
        """Raise 429, with when to try again, if any rule holds this attempt back."""
        if not current_app.config["RATELIMIT_ENABLED"]:
            return
        held = list(self._exhausted("INKWELL_LOGIN_LIMIT", self._pair))
        held += self._exhausted("INKWELL_LOGIN_ADDRESS_LIMIT", self._address)
        if self._has_failed_here():
            held += self._exhausted("INKWELL_LOGIN_ACCOUNT_LIMIT", self._account)
        if held:
            raise TooManyRequests(retry_after=max(held))

    def failed(self) -> None:
        """Count a refused password against every rule."""
        if not current_app.config["RATELIMIT_ENABLED"]:
            return
        for setting, identifiers in (
            ("INKWELL_LOGIN_LIMIT", self._pair),
            ("INKWELL_LOGIN_ADDRESS_LIMIT", self._address),
            ("INKWELL_LOGIN_ACCOUNT_LIMIT", self._account),
        ):
            for item in _rules(setting):
                limiter.limiter.hit(item, *identifiers)

    @property
    def _pair(self) -> tuple[str, ...]:
        return (SCOPE, "pair", self.account, self.address)

    @property
    def _address(self) -> tuple[str, ...]:
        return (SCOPE, "address", self.address)

    @property
    def _account(self) -> tuple[str, ...]:
        return (SCOPE, "account", self.account)

    def _has_failed_here(self) -> bool:
        """Whether this address has a failure on this account in the current window."""
        return any(
            limiter.limiter.get_window_stats(item, *self._pair).remaining < item.amount
            for item in _rules("INKWELL_LOGIN_LIMIT")
        )

    @staticmethod
    def _exhausted(setting: str, identifiers: tuple[str, ...]) -> Iterable[int]:
        """Seconds until each exhausted rule of `setting` lets another attempt through."""
        for item in _rules(setting):
            if not limiter.limiter.test(item, *identifiers):
                reset = limiter.limiter.get_window_stats(item, *identifiers).reset_time
                yield max(1, math.ceil(reset - time.time()))


def _rules(setting: str) -> list[RateLimitItem]:
    return list(parse_many(str(current_app.config[setting])))
