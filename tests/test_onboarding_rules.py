"""Pure rules of binding: the lockout window, phone normalisation, signed callback data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from safety import callbacks
from safety.onboarding import hash_code, lock_until, normalize_code, normalize_phone

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def _at(*minutes: float) -> list[datetime]:
    return [T0 + timedelta(minutes=m) for m in minutes]


def test_four_failures_do_not_lock() -> None:
    assert lock_until(_at(0, 1, 2, 3), T0 + timedelta(minutes=4)) is None


def test_five_failures_in_ten_minutes_lock_for_an_hour_after_the_fifth() -> None:
    failures = _at(0, 2, 4, 6, 9)
    assert lock_until(failures, T0 + timedelta(minutes=10)) == T0 + timedelta(minutes=69)
    assert lock_until(failures, T0 + timedelta(minutes=69)) is None


def test_five_failures_spread_over_more_than_ten_minutes_do_not_lock() -> None:
    assert lock_until(_at(0, 3, 6, 9, 12), T0 + timedelta(minutes=13)) is None


def test_phone_normalisation() -> None:
    assert normalize_phone("+86 138-0000-0001") == "13800000001"
    assert normalize_phone("008613800000001") == "13800000001"
    assert normalize_phone("13800000001") == "13800000001"


def test_codes_are_case_and_dash_insensitive() -> None:
    assert normalize_code(" ab12-cd34 ") == "AB12CD34"
    assert hash_code("ab12cd34") == hash_code("AB12CD34")


SECRET = callbacks.derive_secret("123:TOKEN")


def test_callback_round_trip_and_size() -> None:
    data = callbacks.encode(SECRET, person_id=7, action="st", arg="team-blast")
    assert len(data.encode()) <= 64
    assert callbacks.decode(SECRET, person_id=7, data=data) == callbacks.Callback("st", "team-blast")


def test_someone_elses_or_altered_or_old_version_data_is_refused() -> None:
    data = callbacks.encode(SECRET, person_id=7, action="st", arg="team-blast")
    assert callbacks.decode(SECRET, person_id=8, data=data) is None
    assert callbacks.decode(SECRET, person_id=7, data=data.replace("team-blast", "proj-pulang")) is None
    assert callbacks.decode(SECRET, person_id=7, data="0" + data[1:]) is None
    assert callbacks.decode(callbacks.derive_secret("other"), person_id=7, data=data) is None


@given(st.text(max_size=80), st.integers(min_value=1, max_value=10**9))
def test_arbitrary_data_never_decodes(data: str, person_id: int) -> None:
    assert callbacks.decode(SECRET, person_id=person_id, data=data) is None
