from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pingjia.core.calendars import (
    CALENDAR_HOURS,
    Clock,
    DayOverride,
    WorkingCalendar,
    WorkingWindow,
    add_working_time,
    stage_deadline,
    stage_state,
    stage_used,
    working_time_between,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
STANDARD = WorkingCalendar.standard()
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
WORKING_DAY = timedelta(hours=7, minutes=30)  # 09:00–12:00 and 13:30–18:00


def shanghai(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def round_the_clock(tz: ZoneInfo) -> WorkingCalendar:
    whole_day = (WorkingWindow(time(0), time(0)),)
    return WorkingCalendar.from_weekdays(tz, dict.fromkeys(range(7), whole_day),
                                         public_holidays=False)


# --- Worked examples -----------------------------------------------------------------------------


def test_friday_1700_with_eight_working_hours_is_due_monday_1730() -> None:
    # Friday 17:00–18:00 is 1 h, Monday 09:00–12:00 3 h, and the last 4 h run 13:30–17:30.
    due = add_working_time(STANDARD, shanghai(2025, 3, 7, 17), 8 * HOUR)
    assert due == shanghai(2025, 3, 10, 17, 30)
    assert due.tzinfo is UTC


def test_weekend_and_lunch_break_do_not_count() -> None:
    assert working_time_between(STANDARD, shanghai(2025, 3, 7, 11), shanghai(2025, 3, 10, 14)) \
        == timedelta(hours=1 + 4 + 3, minutes=30 + 30)


def test_start_outside_working_hours_counts_from_the_next_window() -> None:
    assert add_working_time(STANDARD, shanghai(2025, 3, 8, 10), HOUR) == shanghai(2025, 3, 10, 10)
    assert add_working_time(STANDARD, shanghai(2025, 3, 10, 12, 15), HOUR) \
        == shanghai(2025, 3, 10, 14, 30)


def test_zero_duration_is_the_start_itself_and_reversed_interval_is_zero() -> None:
    start = shanghai(2025, 3, 8, 10)  # a Saturday: zero still means "now"
    assert add_working_time(STANDARD, start, timedelta(0)) == start
    assert working_time_between(STANDARD, shanghai(2025, 3, 10, 15), shanghai(2025, 3, 10, 10)) \
        == timedelta(0)


def test_a_deadline_ending_a_window_is_the_window_end_not_the_next_start() -> None:
    assert add_working_time(STANDARD, shanghai(2025, 3, 10, 9), 3 * HOUR) \
        == shanghai(2025, 3, 10, 12)


def test_national_day_2025_is_skipped() -> None:
    assert working_time_between(STANDARD, shanghai(2025, 10, 1), shanghai(2025, 10, 9)) \
        == timedelta(0)
    # Tuesday 30 September 17:00: 1 h that day, then nothing until Thursday 9 October.
    assert add_working_time(STANDARD, shanghai(2025, 9, 30, 17), 8 * HOUR) \
        == shanghai(2025, 10, 9, 17, 30)


@pytest.mark.parametrize(("entered", "due"), [
    (shanghai(2025, 9, 26, 17), shanghai(2025, 9, 28, 17, 30)),    # make-up Sunday 28 September
    (shanghai(2025, 10, 10, 17), shanghai(2025, 10, 11, 17, 30)),  # make-up Saturday 11 October
])
def test_national_day_make_up_days_work_monday_hours(entered: datetime, due: datetime) -> None:
    assert add_working_time(STANDARD, entered, 8 * HOUR) == due


def test_spring_festival_2026_is_skipped_and_its_make_up_saturdays_count() -> None:
    assert STANDARD.unknown_years(date(2026, 1, 1), date(2026, 12, 31)) == set()
    assert working_time_between(STANDARD, shanghai(2026, 2, 15), shanghai(2026, 2, 24)) \
        == timedelta(0)
    assert add_working_time(STANDARD, shanghai(2026, 2, 13, 17), 8 * HOUR) \
        == shanghai(2026, 2, 14, 17, 30)
    assert add_working_time(STANDARD, shanghai(2026, 2, 14, 17), 8 * HOUR) \
        == shanghai(2026, 2, 24, 17, 30)
    assert working_time_between(STANDARD, shanghai(2026, 2, 28), shanghai(2026, 3, 1)) \
        == WORKING_DAY


def test_make_up_day_uses_the_configured_weekday_windows() -> None:
    short_friday = (WorkingWindow(time(9), time(12)),)
    calendar = WorkingCalendar.from_weekdays(
        SHANGHAI, {**dict.fromkeys(range(4), STANDARD.weekly[0]), 4: short_friday},
        makeup_weekday=4,
    )
    assert working_time_between(calendar, shanghai(2025, 10, 11), shanghai(2025, 10, 12)) \
        == 3 * HOUR


def test_a_long_limit_over_the_spring_festival() -> None:
    # 30 working days from Monday 2 February 2026: 9 days of holiday and two make-up Saturdays.
    due = add_working_time(STANDARD, shanghai(2026, 2, 2, 9), 30 * WORKING_DAY)
    workdays = [date(2026, 2, 2) + timedelta(days=n) for n in range(60)]
    workdays = [d for d in workdays if STANDARD.windows_on(d)]
    assert date(2026, 2, 16) not in workdays and date(2026, 2, 14) in workdays
    assert due == datetime.combine(workdays[29], time(18), tzinfo=SHANGHAI)


# --- Overrides -----------------------------------------------------------------------------------


def test_override_closes_a_working_day() -> None:
    calendar = WorkingCalendar.standard(overrides={date(2025, 3, 10): DayOverride.closed()})
    assert add_working_time(calendar, shanghai(2025, 3, 7, 17), 8 * HOUR) \
        == shanghai(2025, 3, 11, 17, 30)


def test_override_opens_a_saturday_with_its_own_windows() -> None:
    calendar = WorkingCalendar.standard(overrides={
        date(2025, 3, 8): DayOverride.open([WorkingWindow(time(10), time(14))]),
    })
    assert add_working_time(calendar, shanghai(2025, 3, 7, 17), 8 * HOUR) \
        == shanghai(2025, 3, 10, 12)


def test_override_wins_over_public_holidays_and_make_up_days() -> None:
    calendar = WorkingCalendar.standard(overrides={
        date(2025, 10, 1): DayOverride.open(),
        date(2025, 10, 11): DayOverride.closed(),
    })
    assert add_working_time(calendar, shanghai(2025, 9, 30, 17), 8 * HOUR) \
        == shanghai(2025, 10, 1, 17, 30)
    assert add_working_time(calendar, shanghai(2025, 10, 10, 17), 8 * HOUR) \
        == shanghai(2025, 10, 13, 17, 30)


def test_calendar_changed_later_recomputes_past_deadlines() -> None:
    entered = shanghai(2025, 3, 7, 17)
    before = stage_deadline(STANDARD, entered, 8 * HOUR, [])
    assert before is not None
    corrected = WorkingCalendar.standard(overrides={date(2025, 3, 10): DayOverride.closed()})
    assert stage_deadline(corrected, entered, 8 * HOUR, []) == before + timedelta(days=1)
    assert stage_state(STANDARD, entered, shanghai(2025, 3, 11, 9), 8 * HOUR) == "overdue"
    assert stage_state(corrected, entered, shanghai(2025, 3, 11, 9), 8 * HOUR) == "on_time"


def test_overrides_are_copied_so_later_edits_do_not_leak_in() -> None:
    table = {date(2025, 3, 10): DayOverride.closed()}
    calendar = WorkingCalendar.standard(overrides=table)
    table[date(2025, 3, 11)] = DayOverride.closed()
    assert calendar.windows_on(date(2025, 3, 11)) == STANDARD.weekly[1]


# --- Years the holiday data does not cover -------------------------------------------------------


def test_unknown_year_falls_back_to_monday_to_friday_and_is_reported() -> None:
    calendar = WorkingCalendar.standard()
    # 1 October 2099 is a Thursday: no National Day without data, Friday 17:00 runs to Monday.
    assert add_working_time(calendar, shanghai(2099, 10, 1, 9), HOUR) == shanghai(2099, 10, 1, 10)
    assert add_working_time(calendar, shanghai(2099, 10, 2, 17), 8 * HOUR) \
        == shanghai(2099, 10, 5, 17, 30)
    assert calendar.unknown_years(date(2098, 6, 1), date(2099, 12, 31)) == {2098, 2099}
    assert calendar.unknown_years(date(2004, 1, 1), date(2026, 12, 31)) == set()
    assert calendar.unknown_years(date(2003, 12, 31), date(2004, 1, 1)) == {2003}


def test_measuring_far_back_and_far_ahead_of_the_first_use() -> None:
    # The per-day ledger grows both ways from the first day asked for.
    calendar = WorkingCalendar.standard()
    assert working_time_between(calendar, shanghai(2025, 3, 3, 9), shanghai(2025, 3, 3, 10)) \
        == HOUR
    assert working_time_between(calendar, shanghai(2004, 3, 1), shanghai(2004, 3, 6)) \
        == 5 * WORKING_DAY
    assert working_time_between(calendar, shanghai(2003, 12, 29), shanghai(2025, 3, 3, 10)) \
        == working_time_between(STANDARD, shanghai(2003, 12, 29), shanghai(2025, 3, 3, 10))


def test_unknown_years_reads_datetimes_in_the_calendars_zone() -> None:
    # 2026-12-31 17:00 UTC is already 2027 in Shanghai.
    new_year = datetime(2026, 12, 31, 17, tzinfo=UTC)
    assert STANDARD.unknown_years(new_year, new_year) == {2027}


def test_without_public_holidays_no_year_is_unknown_and_holidays_work() -> None:
    calendar = WorkingCalendar.from_weekdays(SHANGHAI, dict.fromkeys(range(5), STANDARD.weekly[0]),
                                             public_holidays=False)
    assert calendar.unknown_years(date(2099, 1, 1), date(2099, 12, 31)) == set()
    assert working_time_between(calendar, shanghai(2025, 10, 1), shanghai(2025, 10, 2)) \
        == WORKING_DAY


# --- Calendar hours and time zones ---------------------------------------------------------------


def test_calendar_hours_count_nights_weekends_and_holidays() -> None:
    assert add_working_time(CALENDAR_HOURS, shanghai(2025, 9, 30, 17), 24 * HOUR) \
        == shanghai(2025, 10, 1, 17)
    assert working_time_between(CALENDAR_HOURS, shanghai(2025, 10, 1), shanghai(2025, 10, 8)) \
        == timedelta(days=7)
    assert stage_deadline(CALENDAR_HOURS, shanghai(2025, 3, 7, 17), 24 * HOUR,
                          [(shanghai(2025, 3, 7, 20), shanghai(2025, 3, 7, 22))]) \
        == shanghai(2025, 3, 8, 19)


def test_calendar_hours_measure_real_time_across_dst() -> None:
    # Berlin springs forward on 30 March 2025: midnight to midnight is 23 hours.
    start, end = datetime(2025, 3, 30, tzinfo=BERLIN), datetime(2025, 3, 31, tzinfo=BERLIN)
    assert working_time_between(CALENDAR_HOURS, start, end) == 23 * HOUR
    assert add_working_time(CALENDAR_HOURS, start, 24 * HOUR) \
        == datetime(2025, 3, 31, 1, tzinfo=BERLIN)


@pytest.mark.parametrize(("day", "hours"), [(date(2025, 3, 30), 23), (date(2025, 10, 26), 25)])
def test_dst_days_have_their_real_length_in_working_time(day: date, hours: int) -> None:
    calendar = round_the_clock(BERLIN)
    start = datetime.combine(day, time(0), tzinfo=BERLIN)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=BERLIN)
    assert working_time_between(calendar, start, end) == hours * HOUR
    assert add_working_time(calendar, start, hours * HOUR) == end


def test_window_across_the_dst_change_counts_real_time() -> None:
    calendar = WorkingCalendar.from_weekdays(BERLIN, {6: [WorkingWindow(time(1), time(4))]},
                                             public_holidays=False)
    spring, autumn = date(2025, 3, 30), date(2025, 10, 26)  # both Sundays
    for day, hours in ((spring, 2), (autumn, 4), (spring + timedelta(days=7), 3)):
        start = datetime.combine(day, time(0), tzinfo=BERLIN)
        assert working_time_between(calendar, start, start + timedelta(days=1)) == hours * HOUR


def test_window_starting_inside_the_skipped_hour_starts_at_the_jump() -> None:
    calendar = WorkingCalendar.from_weekdays(BERLIN, {6: [WorkingWindow(time(2, 30), time(5))]})
    start = datetime(2025, 3, 30, tzinfo=BERLIN)
    assert add_working_time(calendar, start, timedelta(minutes=1)) \
        == datetime(2025, 3, 30, 1, 1, tzinfo=UTC)  # 03:01 CEST


def test_new_york_weekend_dst_change_does_not_shift_working_hours() -> None:
    weekdays = dict.fromkeys(range(5), (WorkingWindow(time(9), time(17)),))
    calendar = WorkingCalendar.from_weekdays(NEW_YORK, weekdays, public_holidays=False)
    # Clocks go forward on Sunday 9 March 2025; Monday still starts at 09:00 local (now EDT).
    due = add_working_time(calendar, datetime(2025, 3, 7, 16, tzinfo=NEW_YORK), 2 * HOUR)
    assert due == datetime(2025, 3, 10, 10, tzinfo=NEW_YORK)
    assert due == datetime(2025, 3, 10, 14, tzinfo=UTC)


def test_inputs_in_other_zones_are_the_same_instants() -> None:
    start = shanghai(2025, 3, 7, 17)
    assert add_working_time(STANDARD, start.astimezone(NEW_YORK), 8 * HOUR) \
        == add_working_time(STANDARD, start, 8 * HOUR)


# --- Stages and pauses ---------------------------------------------------------------------------


def test_pause_of_one_working_day_pushes_the_deadline_by_one_working_day() -> None:
    entered, limit = shanghai(2025, 3, 3, 9), 2 * WORKING_DAY + HOUR
    assert stage_deadline(STANDARD, entered, limit, []) == shanghai(2025, 3, 5, 10)
    tuesday = (shanghai(2025, 3, 4, 9), shanghai(2025, 3, 5, 9))
    assert stage_deadline(STANDARD, entered, limit, [tuesday]) == shanghai(2025, 3, 6, 10)
    assert stage_used(STANDARD, entered, shanghai(2025, 3, 6, 10), [tuesday]) == limit


def test_pause_outside_working_hours_changes_nothing() -> None:
    entered = shanghai(2025, 3, 7, 17)
    weekend = (shanghai(2025, 3, 8, 9), shanghai(2025, 3, 9, 20))
    assert stage_deadline(STANDARD, entered, 8 * HOUR, [weekend]) \
        == stage_deadline(STANDARD, entered, 8 * HOUR, [])


def test_open_pause_means_no_deadline_and_paused_state() -> None:
    entered = shanghai(2025, 3, 3, 9)
    pauses = [(shanghai(2025, 3, 3, 10), None)]
    assert stage_deadline(STANDARD, entered, 8 * HOUR, pauses) is None
    assert stage_state(STANDARD, entered, shanghai(2025, 3, 20), 8 * HOUR, pauses) == "paused"
    assert stage_used(STANDARD, entered, shanghai(2025, 3, 20), pauses) == HOUR


def test_overlapping_pauses_and_pauses_before_entry_are_merged_and_clipped() -> None:
    entered = shanghai(2025, 3, 3, 9)
    pauses = [
        (shanghai(2025, 3, 3, 10, 30), shanghai(2025, 3, 3, 11)),
        (shanghai(2025, 3, 1), shanghai(2025, 3, 3, 10)),  # began before the stage
        (shanghai(2025, 3, 3, 10, 45), shanghai(2025, 3, 3, 11, 30)),
        (shanghai(2025, 2, 1), shanghai(2025, 2, 2)),  # over before the stage
    ]
    # Merged: 09:00–10:00 (clipped to the entry) and 10:30–11:30, so 2 of the first 2.5 hours.
    assert stage_used(STANDARD, entered, shanghai(2025, 3, 3, 11, 30), pauses) == 30 * MINUTE
    # The other 1.5 hours: 11:30–12:00, then 13:30–14:30 after lunch.
    assert stage_deadline(STANDARD, entered, 2 * HOUR, pauses) == shanghai(2025, 3, 3, 14, 30)


def test_inside_a_closed_pause_the_state_is_paused() -> None:
    entered = shanghai(2025, 3, 3, 9)
    pauses = [(shanghai(2025, 3, 3, 10), shanghai(2025, 3, 3, 11))]
    assert stage_state(STANDARD, entered, shanghai(2025, 3, 3, 10, 30), HOUR, pauses) == "paused"
    assert stage_state(STANDARD, entered, shanghai(2025, 3, 3, 11), HOUR, pauses) == "overdue"


def test_stage_state_thresholds() -> None:
    entered = shanghai(2025, 3, 3, 9)
    assert stage_state(STANDARD, entered, shanghai(2025, 3, 3, 10), 2 * HOUR) == "on_time"
    assert stage_state(STANDARD, entered, shanghai(2025, 3, 3, 10, 36), 2 * HOUR) == "at_risk"
    assert stage_state(STANDARD, entered, shanghai(2025, 3, 3, 10, 36), 2 * HOUR,
                       at_risk_share=0.9) == "on_time"
    assert stage_state(STANDARD, entered, shanghai(2025, 3, 3, 11), 2 * HOUR) == "overdue"
    # Past the deadline but outside working hours: still overdue.
    assert stage_state(STANDARD, entered, shanghai(2025, 3, 8, 3), 2 * HOUR) == "overdue"


def test_calendar_hours_stage_counts_the_night() -> None:
    entered = shanghai(2025, 3, 3, 17)
    assert stage_state(CALENDAR_HOURS, entered, shanghai(2025, 3, 4, 9), 24 * HOUR) == "on_time"
    assert stage_state(STANDARD, entered, shanghai(2025, 3, 4, 9), 2 * HOUR) == "on_time"
    assert stage_state(CALENDAR_HOURS, entered, shanghai(2025, 3, 4, 9), 2 * HOUR) == "overdue"


# --- Validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("call", [
    lambda: working_time_between(STANDARD, datetime(2025, 3, 3, 9), shanghai(2025, 3, 4)),
    lambda: add_working_time(STANDARD, datetime(2025, 3, 3, 9), HOUR),
    lambda: add_working_time(CALENDAR_HOURS, datetime(2025, 3, 3, 9), HOUR),
    lambda: stage_state(STANDARD, shanghai(2025, 3, 3), datetime(2025, 3, 4), HOUR),
    lambda: stage_deadline(STANDARD, shanghai(2025, 3, 3), HOUR, [(datetime(2025, 3, 3), None)]),
])
def test_naive_datetimes_are_refused(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


def test_invalid_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="end after it starts"):
        WorkingWindow(time(12), time(9))
    with pytest.raises(ValueError, match="overlap"):
        WorkingCalendar.from_weekdays(SHANGHAI, {0: [WorkingWindow(time(9), time(12)),
                                                     WorkingWindow(time(11), time(13))]})
    with pytest.raises(ValueError, match="at least one weekday"):
        WorkingCalendar.from_weekdays(SHANGHAI, {})
    with pytest.raises(ValueError, match="non-working"):
        DayOverride(working=False, windows=(WorkingWindow(time(9), time(12)),))
    with pytest.raises(ValueError, match="must not be negative"):
        add_working_time(STANDARD, shanghai(2025, 3, 3), -HOUR)
    with pytest.raises(ValueError, match="before it starts"):
        stage_used(STANDARD, shanghai(2025, 3, 3), shanghai(2025, 3, 4),
                   [(shanghai(2025, 3, 3, 12), shanghai(2025, 3, 3, 11))])
    with pytest.raises(ValueError, match="at_risk_share"):
        stage_state(STANDARD, shanghai(2025, 3, 3), shanghai(2025, 3, 4), HOUR, at_risk_share=0)


def test_windows_are_sorted_and_midnight_ends_the_day() -> None:
    late, early = WorkingWindow(time(20), time(0)), WorkingWindow(time(8), time(9))
    calendar = WorkingCalendar.from_weekdays(SHANGHAI, {0: [late, early]}, public_holidays=False)
    assert calendar.weekly[0] == (early, late)
    monday = shanghai(2025, 3, 3)
    assert working_time_between(calendar, monday, monday + timedelta(days=1)) == 5 * HOUR
    assert str(late) == "20:00–24:00"


# --- Properties ----------------------------------------------------------------------------------

ZONES = ["Asia/Shanghai", "Europe/Berlin", "America/New_York", "America/Santiago",
         "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]
# Spans 2026 (known to chinesecalendar 1.11) into 2027 (not known).
FIRST_DAY, LAST_DAY = date(2025, 9, 1), date(2027, 3, 1)
PROPERTIES = settings(max_examples=60, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow])


@st.composite
def day_windows(draw: st.DrawFn) -> tuple[WorkingWindow, ...]:
    """0–3 disjoint windows on a quarter-hour grid; 96 quarters means midnight at the end."""
    bounds = sorted(draw(st.lists(st.integers(0, 96), unique=True, max_size=6)))
    if len(bounds) % 2:
        bounds.pop()

    def at(quarter: int) -> time:
        return time(0) if quarter == 96 else time(quarter // 4, quarter % 4 * 15)

    return tuple(WorkingWindow(at(a), at(b)) for a, b in zip(bounds[::2], bounds[1::2],
                                                               strict=True))


@st.composite
def working_calendars(draw: st.DrawFn) -> WorkingCalendar:
    weekly = draw(st.lists(day_windows(), min_size=7, max_size=7))
    weekly_hours = sum((w.end_offset - w.start_offset for day in weekly for w in day), timedelta())
    assume(weekly_hours >= HOUR)  # keeps the longest search below a couple of years
    overrides = draw(st.dictionaries(
        st.dates(FIRST_DAY, LAST_DAY),
        st.one_of(st.just(DayOverride.closed()), st.just(DayOverride.open()),
                  day_windows().filter(bool).map(DayOverride.open)),
        max_size=12,
    ))
    return WorkingCalendar(
        tz=ZoneInfo(draw(st.sampled_from(ZONES))), weekly=tuple(weekly),
        public_holidays=draw(st.booleans()), overrides=overrides,
        makeup_weekday=draw(st.integers(0, 6)),
    )


clocks = st.one_of(working_calendars(), st.just(STANDARD), st.just(CALENDAR_HOURS))
instants = st.datetimes(datetime.combine(FIRST_DAY, time()), datetime.combine(LAST_DAY, time()),
                        timezones=st.sampled_from(ZONES).map(ZoneInfo))
durations = st.timedeltas(timedelta(0), timedelta(hours=60))


@PROPERTIES
@given(clocks, instants, durations)
def test_adding_then_measuring_gives_the_duration_back(
    clock: Clock, start: datetime, duration: timedelta,
) -> None:
    due = add_working_time(clock, start, duration)
    assert due >= start
    assert working_time_between(clock, start, due) == duration
    if duration:
        # The earliest such instant: one microsecond less is not enough, and the microsecond
        # just before it was working time, so it lies inside or at the end of a window.
        tick = timedelta(microseconds=1)
        assert working_time_between(clock, start, due - tick) == duration - tick
        assert working_time_between(clock, due - tick, due) == tick


@PROPERTIES
@given(working_calendars(), st.sampled_from(["Asia/Shanghai", "Asia/Kolkata", "UTC"]),
       instants, durations)
def test_positive_result_is_in_or_at_the_end_of_a_declared_window(
    calendar: WorkingCalendar, zone: str, start: datetime, duration: timedelta,
) -> None:
    # Zones without DST, where a wall time names exactly one instant; the first property
    # says the same for every zone in terms of working time.
    calendar = dataclasses.replace(calendar, tz=ZoneInfo(zone))
    assume(duration)
    due = add_working_time(calendar, start, duration)
    # The day of the instant just before the result: a window ending at midnight ends on the
    # next day's date.
    day = (due - timedelta(microseconds=1)).astimezone(calendar.tz).date()
    offset = due.astimezone(calendar.tz).replace(tzinfo=None) - datetime.combine(day, time())
    assert any(w.start_offset < offset <= w.end_offset for w in calendar.windows_on(day))


@PROPERTIES
@given(clocks, instants, durations, durations)
def test_adding_is_monotonic_in_the_duration(
    clock: Clock, start: datetime, first: timedelta, second: timedelta,
) -> None:
    shorter, longer = sorted((first, second))
    assert add_working_time(clock, start, shorter) <= add_working_time(clock, start, longer)


@PROPERTIES
@given(clocks, st.lists(instants, min_size=3, max_size=3))
def test_measuring_is_additive(clock: Clock, moments: list[datetime]) -> None:
    a, b, c = sorted(moments)
    assert working_time_between(clock, a, c) \
        == working_time_between(clock, a, b) + working_time_between(clock, b, c)


pause_lists = st.lists(
    # The end is added in UTC: wall-clock addition in a DST zone can land before the start.
    st.tuples(instants, st.timedeltas(timedelta(0), timedelta(days=4))).map(
        lambda pause: (pause[0], pause[0].astimezone(UTC) + pause[1])),
    max_size=4,
)


@PROPERTIES
@given(clocks, instants, durations, pause_lists)
def test_pauses_never_bring_the_deadline_forward(
    clock: Clock, entered: datetime, limit: timedelta, pauses: list[tuple[datetime, datetime]],
) -> None:
    plain = stage_deadline(clock, entered, limit, [])
    paused = stage_deadline(clock, entered, limit, pauses)
    assert plain is not None and paused is not None
    assert paused >= plain
    assert stage_used(clock, entered, paused, pauses) == limit
    if limit:  # at the deadline the limit is used up, unless a pause begins right then
        assert stage_state(clock, entered, paused, limit, pauses) in {"overdue", "paused"}


@PROPERTIES
@given(clocks, instants, st.timedeltas(timedelta(minutes=1), timedelta(hours=60)),
       st.lists(st.timedeltas(timedelta(0), timedelta(days=30)), min_size=1, max_size=6))
def test_stage_state_only_moves_forward(
    clock: Clock, entered: datetime, limit: timedelta, offsets: list[timedelta],
) -> None:
    order = ["on_time", "at_risk", "overdue"]
    nows = [entered.astimezone(UTC) + offset for offset in sorted(offsets)]
    states = [stage_state(clock, entered, now, limit) for now in nows]
    ranks = [order.index(state) for state in states]
    assert ranks == sorted(ranks)
    deadline = stage_deadline(clock, entered, limit)
    assert deadline is not None
    for now, state in zip(nows, states, strict=True):
        assert (state == "overdue") == (now >= deadline)
