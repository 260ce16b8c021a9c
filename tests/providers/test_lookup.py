"""The matching rules every ``find_submitted`` shares (providers/lookup.py)."""

from __future__ import annotations

from storyreel.providers import lookup


def test_a_webhook_url_names_its_job_only_for_its_own_provider() -> None:
    url = "https://story.example/webhooks/replicate/01JOBA/4f2a"
    assert lookup.webhook_job(url, "replicate") == "01JOBA"
    assert lookup.webhook_job(url, "fal") is None
    assert lookup.webhook_job("https://elsewhere.example/hook", "replicate") is None
    assert lookup.names_other_job(url, "replicate", "01JOBB")
    assert not lookup.names_other_job(url, "replicate", "01JOBA")
    assert not lookup.names_other_job(None, "replicate", "01JOBB")


def test_inputs_compare_by_value_not_by_spelling() -> None:
    assert lookup.same_input({"a": 1, "b": [1, 2]}, {"b": [1, 2], "a": 1})
    assert not lookup.same_input({"a": 1}, {"a": 1, "b": None})
    assert not lookup.same_input({"a": 1}, None)


def test_times_parse_from_iso_and_unix_seconds_or_milliseconds() -> None:
    moment = 1_764_443_607.25
    assert lookup.parse_time(lookup.iso_utc(moment)) == moment
    assert lookup.parse_time(1_764_443_607) == 1_764_443_607.0
    assert lookup.parse_time(1_764_443_607_250) == moment
    assert lookup.parse_time("not a time") is None


def test_the_earliest_candidate_in_the_window_wins() -> None:
    assert lookup.earliest([(3.0, "late"), (1.0, "first"), (2.0, "mid")]) == "first"
    assert lookup.earliest([]) is None
    assert lookup.window_start(100.0) == 100.0 - lookup.CLOCK_SKEW
