"""Stage deadlines from the organisation's limits and working calendar.

`Clocks.load()` reads the limits, the working hours and the calendar overrides once; `timing`
then answers for any stage from its history alone (entry time and pauses), so a changed
calendar gives the right answer for past cases too. The arithmetic is `core.calendars`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from pingjia.cases.models import CalendarDay, CaseSettings, StageLimit
from pingjia.cases.workflow import StageStatus, State
from pingjia.core import calendars

Pause = tuple[datetime, datetime | None]


@dataclass(frozen=True)
class Timing:
    due_at: datetime | None
    risk_at: datetime | None
    status: StageStatus


@dataclass(frozen=True)
class Limit:
    duration: timedelta
    working: bool


def _window(pair: Sequence[str]) -> calendars.WorkingWindow:
    start, end = (time.fromisoformat(value) for value in pair)
    return calendars.WorkingWindow(start, end)


def working_calendar(case_settings: CaseSettings,
                     days: Sequence[CalendarDay]) -> calendars.WorkingCalendar:
    zone = ZoneInfo(settings.TIME_ZONE)
    overrides: dict[date, calendars.DayOverride] = {
        day.date: calendars.DayOverride(
            working=day.working,
            windows=tuple(_window(pair) for pair in day.hours) if day.hours else None)
        for day in days}
    if not case_settings.working_hours:
        standard = calendars.WorkingCalendar.standard(zone, overrides=overrides)
        return calendars.WorkingCalendar(
            tz=zone, weekly=standard.weekly, overrides=overrides,
            public_holidays=case_settings.public_holidays)
    windows = {int(day): [_window(pair) for pair in pairs]
               for day, pairs in case_settings.working_hours.items()}
    return calendars.WorkingCalendar.from_weekdays(
        zone, windows, public_holidays=case_settings.public_holidays, overrides=overrides)


class Clocks:
    """The limits and the calendar, loaded once for a request or a sweep."""

    def __init__(self, case_settings: CaseSettings, limits: Sequence[StageLimit],
                 calendar: calendars.WorkingCalendar) -> None:
        self.settings = case_settings
        self.calendar = calendar
        self._limits = {(row.state, row.category_id, row.priority): Limit(
            timedelta(hours=float(row.hours)), row.clock == StageLimit.Clock.WORKING)
            for row in limits}

    @classmethod
    def load(cls) -> Clocks:
        case_settings = CaseSettings.current()
        return cls(case_settings, list(StageLimit.objects.all()),
                   working_calendar(case_settings, list(CalendarDay.objects.all())))

    def limit(self, state: State, category_id: int | None, priority: str) -> Limit | None:
        for key in ((state, category_id, priority), (state, category_id, ""),
                    (state, None, priority), (state, None, "")):
            if key in self._limits:
                return self._limits[key]
        return None

    def timing(self, *, state: State, category_id: int | None, priority: str,
               entered: datetime, pauses: Sequence[Pause], plan_deadline: datetime | None,
               now: datetime) -> Timing:
        if any(end is None for _start, end in pauses):
            return Timing(None, None, StageStatus.PAUSED)
        limit = self.limit(state, category_id, priority)
        if plan_deadline is not None:
            # Rectification runs to the plan's own deadline, in calendar time.
            limit = Limit(max(plan_deadline - entered, timedelta(0)), working=False)
        if limit is None:
            return Timing(None, None, StageStatus.NONE)
        clock: calendars.Clock = self.calendar if limit.working else calendars.CALENDAR_HOURS
        due = calendars.stage_deadline(clock, entered, limit.duration, pauses)
        risk = calendars.stage_deadline(clock, entered,
                                        limit.duration * self.settings.at_risk_share, pauses)
        if due is not None and now >= due:
            status = StageStatus.OVERDUE
        elif risk is not None and now >= risk:
            status = StageStatus.AT_RISK
        else:
            status = StageStatus.ON_TIME
        return Timing(due, risk, status)
