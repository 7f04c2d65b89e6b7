"""Working-time arithmetic for stage deadlines: pure, no Django.

A stage limit is measured by a `Clock`: either `CalendarHours` (plain elapsed time, "24 calendar
hours") or a `WorkingCalendar` ("8 working hours"). A working calendar combines

- working windows per weekday (0 = Monday … 6 = Sunday), several per day allowed, read as wall
  time in the calendar's time zone;
- Chinese public holidays from `chinesecalendar` when `public_holidays` is set: an official holiday
  has no working time, and a 调休 make-up working day works the windows of `makeup_weekday`
  (Monday by default), whatever weekday it falls on;
- the organisation's override table, which wins over everything: a day forced non-working, or
  forced working with its own windows (or, without any, the windows of `makeup_weekday`).

`chinesecalendar` 1.11 knows the years 2004–2026 and raises `NotImplementedError` outside them.
For a year it does not know, every day simply follows its weekday's windows (Monday–Friday for the
standard calendar, no holidays, no make-up days), and `WorkingCalendar.unknown_years` names such
years so that a service can warn an administrator to upgrade the package (new data is released
each November).

Deadlines are recomputed from the stage's history (when it was entered, its pauses) and the
current calendar; nothing intermediate is stored, so a corrected calendar gives the right answer
for past cases too.

All datetimes passed in must be aware (naive ones raise `ValueError`); every datetime returned is
in UTC, the zone the database stores, whatever zone the input was in.

Speed: a calendar keeps, per local day, its windows as UTC microsecond intervals together with a
running total of working time, grown lazily around the days asked for. Measuring working time
between two instants is then two look-ups, and adding working time is a binary search over the
running totals, so a 30-day limit across the Spring Festival costs no more than an 8-hour one.
"""

from __future__ import annotations

import enum
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, cached_property
from itertools import pairwise
from types import MappingProxyType
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

import chinese_calendar

__all__ = [
    "CALENDAR_HOURS",
    "CalendarHours",
    "Clock",
    "DayOverride",
    "Pause",
    "StageState",
    "WorkingCalendar",
    "WorkingWindow",
    "add_working_time",
    "stage_deadline",
    "stage_state",
    "stage_used",
    "working_time_between",
]

StageState = Literal["on_time", "at_risk", "overdue", "paused"]
# A pause while waiting for the customer: (started, ended), ended None while still waiting.
Pause = tuple[datetime, datetime | None]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_MIDNIGHT = time(0)
_WHOLE_DAY = timedelta(days=1)


def _utc(moment: datetime, name: str) -> datetime:
    """`moment` in UTC. Comparing or subtracting aware datetimes that share a tzinfo uses their
    wall times, which is wrong across a DST change, so everything is compared in UTC."""
    if moment.tzinfo is UTC:  # the common case: values read from the database
        return moment
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {moment!r}")
    return moment.astimezone(UTC)


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _ONE_US


def _from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


# --- Windows and overrides ---------------------------------------------------------------------


@dataclass(frozen=True)
class WorkingWindow:
    """Working hours within one day, in wall time: `start` up to (not including) `end`.

    `end` must be after `start`; `end=time(0)` means midnight at the end of the day, so
    `WorkingWindow(time(0), time(0))` is the whole day.
    """

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("working window times are wall times in the calendar's zone; "
                             "pass them without tzinfo")
        if self.end_offset <= self.start_offset:
            raise ValueError(f"a working window must end after it starts: {self}")

    @cached_property
    def start_offset(self) -> timedelta:
        return _since_midnight(self.start)

    @cached_property
    def end_offset(self) -> timedelta:
        return _WHOLE_DAY if self.end == _MIDNIGHT else _since_midnight(self.end)

    def __str__(self) -> str:
        end = "24:00" if self.end == _MIDNIGHT else self.end.isoformat("minutes")
        return f"{self.start.isoformat('minutes')}–{end}"


def _since_midnight(moment: time) -> timedelta:
    return timedelta(hours=moment.hour, minutes=moment.minute, seconds=moment.second,
                     microseconds=moment.microsecond)


def _ordered_windows(windows: Iterable[WorkingWindow], what: str) -> tuple[WorkingWindow, ...]:
    """The windows sorted by start; overlapping windows are a configuration mistake."""
    ordered = tuple(sorted(windows, key=lambda window: window.start_offset))
    for earlier, later in pairwise(ordered):
        if later.start_offset < earlier.end_offset:
            raise ValueError(f"{what}: working windows {earlier} and {later} overlap")
    return ordered


@dataclass(frozen=True)
class DayOverride:
    """The organisation's decision about one date, stronger than weekdays and public holidays.

    `working=False` closes the day. `working=True` opens it with `windows`, or, when `windows` is
    None, with the windows of the calendar's `makeup_weekday`, as on a 调休 make-up day.
    """

    working: bool
    windows: tuple[WorkingWindow, ...] | None = None

    def __post_init__(self) -> None:
        if self.windows is None:
            return
        if not self.working:
            raise ValueError("a day forced non-working cannot have working windows")
        if not self.windows:
            raise ValueError("a day forced working needs windows, or None for the usual ones")
        object.__setattr__(self, "windows", _ordered_windows(self.windows, "day override"))

    @classmethod
    def closed(cls) -> DayOverride:
        return cls(working=False)

    @classmethod
    def open(cls, windows: Iterable[WorkingWindow] | None = None) -> DayOverride:
        return cls(working=True, windows=None if windows is None else tuple(windows))


# --- Public holidays ---------------------------------------------------------------------------


class _PublicDay(enum.Enum):
    ORDINARY = "ordinary"
    HOLIDAY = "holiday"
    MAKEUP = "makeup"
    UNKNOWN = "unknown"  # a year chinesecalendar has no data for: weekday rules apply


@cache
def _holiday_data_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def _public_day(day: date) -> _PublicDay:
    if not _holiday_data_covers(day.year):
        return _PublicDay.UNKNOWN
    # The package's dicts, not is_workday(): a holiday Saturday must close even for an
    # organisation that works on Saturdays, and is_workday() cannot tell it from a plain one.
    if day in chinese_calendar.holidays:
        return _PublicDay.HOLIDAY
    if day in chinese_calendar.workdays:
        return _PublicDay.MAKEUP
    return _PublicDay.ORDINARY


# --- Clocks ------------------------------------------------------------------------------------


class Clock(Protocol):
    """How a stage limit is counted: calendar time or working time."""

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Clock time from `start` to `end`; zero when `end` is not after `start`."""
        ...

    def advance(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant (UTC) at which `duration` of clock time has passed since `start`."""
        ...


@dataclass(frozen=True)
class CalendarHours:
    """Plain elapsed time: every hour of every day counts."""

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        return max(_utc(end, "end") - _utc(start, "start"), timedelta(0))

    def advance(self, start: datetime, duration: timedelta) -> datetime:
        _require_non_negative(duration, "duration")
        # Added in UTC: adding to a zoned datetime would add wall time and be off across DST.
        return _utc(start, "start") + duration


CALENDAR_HOURS = CalendarHours()


def _require_non_negative(duration: timedelta, name: str) -> None:
    if duration < timedelta(0):
        raise ValueError(f"{name} must not be negative, got {duration}")


# Working intervals of one local day, as UTC microseconds, sorted and disjoint.
_DaySpans = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class _Ledger:
    """Working time of a contiguous run of local days. `totals[i]` is the working time (µs) before
    day `first + i`, counted from a day fixed when the calendar first built its ledger (negative
    before it); it has one entry more than `spans`. Never changed once built: growing makes a
    new ledger with the same origin, so readers holding an older one get the same answers."""

    first: int  # proleptic ordinal of the first day covered
    end: int  # ordinal of the first day after the run
    spans: tuple[_DaySpans, ...]
    totals: tuple[int, ...]


@dataclass(frozen=True)
class WorkingCalendar:
    """An organisation's working time: see the module docstring for the rules.

    `weekly[n]` holds the windows of weekday n (0 = Monday); build one from a mapping with
    `from_weekdays`, or take `standard()`.
    """

    tz: ZoneInfo
    weekly: tuple[tuple[WorkingWindow, ...], ...]
    public_holidays: bool = True
    overrides: Mapping[date, DayOverride] = field(default_factory=dict)
    makeup_weekday: int = 0
    _ledger: _Ledger | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise ValueError(f"weekly needs windows for 7 weekdays, got {len(self.weekly)}")
        weekly = tuple(_ordered_windows(windows, f"weekday {weekday}")
                       for weekday, windows in enumerate(self.weekly))
        if not any(weekly):
            # Without a single weekly window, adding working time could search forever.
            raise ValueError("a working calendar needs at least one weekday with working hours")
        if not 0 <= self.makeup_weekday <= 6:
            raise ValueError(f"makeup_weekday must be 0 (Monday) to 6, got {self.makeup_weekday}")
        for day in self.overrides:
            if isinstance(day, datetime) or not isinstance(day, date):
                raise ValueError(f"override keys must be dates, got {day!r}")
        object.__setattr__(self, "weekly", weekly)
        # A private copy: the caller's dict changing later must not disagree with the ledger.
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))

    def __hash__(self) -> int:
        return hash((self.tz, self.weekly, self.public_holidays, self.makeup_weekday,
                     frozenset(self.overrides.items())))

    @classmethod
    def from_weekdays(
        cls,
        tz: str | ZoneInfo,
        windows: Mapping[int, Iterable[WorkingWindow]],
        *,
        public_holidays: bool = True,
        overrides: Mapping[date, DayOverride] | None = None,
        makeup_weekday: int = 0,
    ) -> WorkingCalendar:
        """A calendar from `{weekday: windows}`; weekdays left out do not work."""
        unknown = set(windows) - set(range(7))
        if unknown:
            raise ValueError(f"weekdays are 0 (Monday) to 6 (Sunday), got {sorted(unknown)}")
        return cls(
            tz=tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz),
            weekly=tuple(tuple(windows.get(weekday, ())) for weekday in range(7)),
            public_holidays=public_holidays,
            overrides=overrides or {},
            makeup_weekday=makeup_weekday,
        )

    @classmethod
    def standard(
        cls, tz: str | ZoneInfo = "Asia/Shanghai", *,
        overrides: Mapping[date, DayOverride] | None = None,
    ) -> WorkingCalendar:
        """Monday to Friday 09:00–12:00 and 13:30–18:00, with Chinese public holidays."""
        day = (WorkingWindow(time(9), time(12)), WorkingWindow(time(13, 30), time(18)))
        return cls.from_weekdays(tz, dict.fromkeys(range(5), day), overrides=overrides)

    # --- Rules for one day -------------------------------------------------------------------

    def windows_on(self, day: date) -> tuple[WorkingWindow, ...]:
        """The working windows of a local date, after holidays and overrides."""
        override = self.overrides.get(day)
        if override is not None:
            if not override.working:
                return ()
            return override.windows or self.weekly[self.makeup_weekday]
        if self.public_holidays:
            public_day = _public_day(day)
            if public_day is _PublicDay.HOLIDAY:
                return ()
            if public_day is _PublicDay.MAKEUP:
                return self.weekly[self.makeup_weekday]
        return self.weekly[day.weekday()]

    def unknown_years(self, start: date, end: date) -> set[int]:
        """Years from `start` to `end` (inclusive) whose public holidays the installed
        chinesecalendar does not know, so that weekday rules stood in for them."""
        if not self.public_holidays:
            return set()
        first, last = (self._local_date(start).year, self._local_date(end).year)
        return {year for year in range(first, last + 1) if not _holiday_data_covers(year)}

    def _local_date(self, day: date) -> date:
        if isinstance(day, datetime):
            return _utc(day, "day").astimezone(self.tz).date()
        return day

    def _spans_on(self, ordinal: int) -> _DaySpans:
        day = date.fromordinal(ordinal)
        midnight = datetime.combine(day, _MIDNIGHT)
        spans = []
        for window in self.windows_on(day):
            start = _local_instant(midnight + window.start_offset, self.tz)
            end = _local_instant(midnight + window.end_offset, self.tz)
            if end > start:  # a window wholly inside a DST gap has no time at all
                spans.append((start, end))
        return tuple(spans)

    # --- The ledger of running totals --------------------------------------------------------

    def _ledger_covering(self, first: int, last: int) -> _Ledger:
        """A ledger covering the days `first` to `last` (ordinals), grown if needed."""
        ledger = self._ledger
        if ledger is not None and ledger.first <= first and last < ledger.end:
            return ledger
        if ledger is None:
            start, stop = first - 7, last + 32
            before: list[_DaySpans] = []
            kept: tuple[_DaySpans, ...] = ()
            after = [self._spans_on(ordinal) for ordinal in range(start, stop)]
        else:
            # Growing by at least the current size keeps repeated growth linear overall.
            grow = max(31, len(ledger.spans))
            start = min(ledger.first, first - grow) if first < ledger.first else ledger.first
            stop = max(ledger.end, last + 1 + grow) if last >= ledger.end else ledger.end
            before = [self._spans_on(ordinal) for ordinal in range(start, ledger.first)]
            kept = ledger.spans
            after = [self._spans_on(ordinal) for ordinal in range(ledger.end, stop)]
        spans = (*before, *kept, *after)
        origin = 0 if ledger is None else ledger.totals[0]
        totals = [origin - sum(end - begin for day_spans in before for begin, end in day_spans)]
        for day_spans in spans:
            totals.append(totals[-1] + sum(end - begin for begin, end in day_spans))
        ledger = _Ledger(first=start, end=stop, spans=spans, totals=tuple(totals))
        object.__setattr__(self, "_ledger", ledger)
        return ledger

    def _worked_until(self, moment: datetime) -> int:
        """Working time (µs) from the ledger's origin up to `moment` (UTC)."""
        micros = _micros(moment)
        ordinal = moment.astimezone(self.tz).toordinal()
        ledger = self._ledger
        if ledger is None or not ledger.first <= ordinal < ledger.end:
            ledger = self._ledger_covering(ordinal, ordinal)
        index = ordinal - ledger.first
        total = ledger.totals[index]
        for begin, end in ledger.spans[index]:
            if micros <= begin:
                break
            total += min(micros, end) - begin
        return total

    # --- Clock -------------------------------------------------------------------------------

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        start, end = _utc(start, "start"), _utc(end, "end")
        if end <= start:
            return timedelta(0)
        return timedelta(microseconds=self._worked_until(end) - self._worked_until(start))

    def advance(self, start: datetime, duration: timedelta) -> datetime:
        start = _utc(start, "start")
        _require_non_negative(duration, "duration")
        if not duration:
            return start
        target = self._worked_until(start) + duration // _ONE_US
        ledger = self._ledger
        assert ledger is not None  # _worked_until built it
        while ledger.totals[-1] < target:
            ledger = self._ledger_covering(ledger.end, ledger.end)
        # The day in which the running total reaches the target: totals[i] < target <= totals[i+1].
        index = bisect_left(ledger.totals, target) - 1
        remaining = target - ledger.totals[index]
        for begin, end in ledger.spans[index]:
            if remaining <= end - begin:
                return _from_micros(begin + remaining)
            remaining -= end - begin
        raise AssertionError("running totals disagree with the day's windows")


def _local_instant(wall: datetime, tz: ZoneInfo) -> int:
    """The instant (UTC µs) a wall time of `tz` names. A time shown twice (clocks going back)
    is its first occurrence; a time the clocks skip (going forward) is the instant of the jump,
    so a window starting inside the gap starts when the clocks jump past its start."""
    zoned = wall.replace(tzinfo=tz)
    instant = zoned.astimezone(UTC)
    # A skipped wall time comes back from UTC with the offset after the jump, not before it.
    if instant.astimezone(tz).utcoffset() == zoned.utcoffset():
        return _micros(instant)
    return _micros(_clock_jump(zoned))


def _clock_jump(skipped: datetime) -> datetime:
    """The instant of the forward jump that skips the wall time `skipped`. Read with the offset
    before the jump (fold=0) the wall time lands after it, with the offset after it (fold=1)
    before it; the jump lies between and is found by bisection (rare: DST days only)."""
    tz = skipped.tzinfo
    after = skipped.replace(fold=0).astimezone(UTC)
    before = skipped.replace(fold=1).astimezone(UTC)
    offset_after = after.astimezone(tz).utcoffset()
    while after - before > _ONE_US:
        middle = before + (after - before) // 2
        if middle.astimezone(tz).utcoffset() == offset_after:
            after = middle
        else:
            before = middle
    return after


# --- The two core functions --------------------------------------------------------------------


def working_time_between(calendar: Clock, start: datetime, end: datetime) -> timedelta:
    """Clock time from `start` to `end` (zero when `end` is not after `start`)."""
    return calendar.elapsed(start, end)


def add_working_time(calendar: Clock, start: datetime, duration: timedelta) -> datetime:
    """The earliest instant (UTC) at which `duration` of clock time has passed since `start`.

    A start outside working hours counts from the next window; a zero duration gives `start`.
    """
    return calendar.advance(start, duration)


# --- Stages with pauses ------------------------------------------------------------------------


def _merged_pauses(entered: datetime, pauses: Sequence[Pause]) -> list[Pause]:
    """Pauses in UTC from `entered` on, sorted, overlapping or touching ones merged; an open
    pause (end None) runs for ever."""
    clipped: list[Pause] = []
    for started, ended in pauses:
        started = _utc(started, "pause start")
        if ended is not None:
            ended = _utc(ended, "pause end")
            if ended < started:
                raise ValueError(f"a pause cannot end before it starts: {started} > {ended}")
            if ended <= entered:
                continue
        clipped.append((max(started, entered), ended))
    clipped.sort(key=lambda pause: pause[0])
    merged: list[Pause] = []
    for started, ended in clipped:
        if merged:
            last_start, last_end = merged[-1]
            if last_end is None:
                break  # an open pause swallows everything after it
            if started <= last_end:
                merged[-1] = (last_start, None if ended is None else max(last_end, ended))
                continue
        merged.append((started, ended))
    return merged


def stage_deadline(
    clock: Clock, entered: datetime, limit: timedelta, pauses: Sequence[Pause] = (),
) -> datetime | None:
    """When the stage's `limit` of clock time runs out (UTC), pushed back by the clock time
    spent inside pauses. None while any pause is open: there is no deadline while waiting for
    the customer, even for a stage that was already late when the wait began."""
    entered = _utc(entered, "entered")
    _require_non_negative(limit, "limit")
    merged = _merged_pauses(entered, pauses)
    if merged and merged[-1][1] is None:
        return None
    cursor, remaining = entered, limit
    for started, ended in merged:
        due = clock.advance(cursor, remaining)
        if due <= started:
            return due
        assert ended is not None  # only the last merged pause can be open
        remaining -= clock.elapsed(cursor, started)
        cursor = ended
    return clock.advance(cursor, remaining)


def stage_used(
    clock: Clock, entered: datetime, now: datetime, pauses: Sequence[Pause] = (),
) -> timedelta:
    """Clock time the stage has used by `now`: from `entered`, less the time inside pauses."""
    entered, now = _utc(entered, "entered"), _utc(now, "now")
    return _used(clock, entered, now, _merged_pauses(entered, pauses))


def _used(clock: Clock, entered: datetime, now: datetime, merged: list[Pause]) -> timedelta:
    used = clock.elapsed(entered, now)
    for started, ended in merged:
        if started >= now:
            break
        used -= clock.elapsed(started, now if ended is None or ended > now else ended)
    return used


def stage_state(
    clock: Clock,
    entered: datetime,
    now: datetime,
    limit: timedelta,
    pauses: Sequence[Pause] = (),
    at_risk_share: float = 0.8,
) -> StageState:
    """Where the stage stands at `now`: "paused" inside a pause; else "overdue" once the whole
    limit is used (so from the deadline instant on), "at_risk" once `at_risk_share` of it is."""
    if not 0 < at_risk_share <= 1:
        raise ValueError(f"at_risk_share must be in (0, 1], got {at_risk_share}")
    _require_non_negative(limit, "limit")
    entered, now = _utc(entered, "entered"), _utc(now, "now")
    merged = _merged_pauses(entered, pauses)
    for started, ended in merged:
        if started <= now and (ended is None or now < ended):
            return "paused"
    used = _used(clock, entered, now, merged)
    if used >= limit:
        return "overdue"
    if used >= limit * at_risk_share:
        return "at_risk"
    return "on_time"
