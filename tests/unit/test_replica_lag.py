"""How far behind the primary a standby is, from what one check reads."""

from __future__ import annotations

from decimal import Decimal

from inkwell.scaling.replicas import lag_behind

# (monotonic seconds, the primary's position) at three checks a second apart.
HISTORY = [(100.0, 1_000), (101.0, 2_000), (102.0, 3_000)]


def test_a_standby_that_replayed_the_position_read_in_the_same_check_is_current() -> None:
    assert lag_behind(3_000, Decimal(3_000), Decimal(600), HISTORY) == 0.0


def test_lag_is_how_long_ago_the_primary_was_where_the_standby_is() -> None:
    assert lag_behind(2_500, Decimal(3_000), Decimal(600), HISTORY) == 1.0
    assert lag_behind(1_000, Decimal(3_000), Decimal(600), HISTORY) == 2.0


def test_a_quiet_primary_writing_a_record_of_its_own_does_not_make_its_standby_look_late() -> None:
    """The last transaction replayed was ten minutes ago; the standby lacks only the
    record the primary wrote since the previous check."""
    assert lag_behind(2_000, Decimal(2_000), Decimal(600), HISTORY) == 1.0


def test_a_standby_behind_every_remembered_position_is_at_least_that_far_behind() -> None:
    assert lag_behind(500, Decimal(500), Decimal(30), HISTORY) == 30.0
    assert lag_behind(500, Decimal(500), None, HISTORY) == 2.0


def test_without_the_primary_a_standby_judges_itself_by_what_it_received() -> None:
    assert lag_behind(2_000, Decimal(2_000), Decimal(600), []) == 0.0
    assert lag_behind(1_500, Decimal(2_000), Decimal(7), []) == 7.0


def test_a_standby_that_never_replayed_has_no_lag_to_tell() -> None:
    assert lag_behind(None, None, None, HISTORY) is None
