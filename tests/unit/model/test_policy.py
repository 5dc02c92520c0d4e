import pytest
from pydantic import ValidationError

from bkctl.model import Policy, Retention, Schedule


def test_a_schedule_takes_exactly_one_form():
    with pytest.raises(ValidationError, match="exactly one"):
        Schedule(every="8h", per_day=3)
    with pytest.raises(ValidationError, match="exactly one"):
        Schedule()


def test_invalid_cron_and_timezone_are_rejected():
    with pytest.raises(ValidationError, match="cron"):
        Schedule(cron="61 * * * *")
    with pytest.raises(ValidationError, match="time zone"):
        Schedule(every="1h", timezone="Mars/Olympus")


def test_empty_retention_is_an_error_not_keep_nothing():
    with pytest.raises(ValidationError, match="keeps nothing"):
        Retention()


def test_yearly_is_capped_at_99_as_in_azure():
    assert Retention(yearly=99).yearly == 99
    with pytest.raises(ValidationError):
        Retention(yearly=100)


def test_models_are_frozen():
    policy = Policy(schedule={"every": "8h"}, retention={"daily": 7})
    with pytest.raises(ValidationError):
        policy.description = "changed"  # type: ignore[misc]
