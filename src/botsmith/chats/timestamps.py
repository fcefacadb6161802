"""Dates as chat exporters write them, turned into ISO 8601 at the source's precision.

Local date forms ("1/15/2024 3:04 PM", "15.01.24, 15:04", "15-Jan-24 03:04 PM") are
parsed in two steps: each stamp is split into its numbers, then one field order
(day-first, month-first or year-first) is chosen for the whole file from the data,
because a single "3/4/24" cannot say which it is, but a file of them can.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from botsmith.errors import BotsmithError

_SPACE = r"[\s\u202f\u00a0]"
AMPM = rf"(?:{_SPACE}*(?P<ampm>[AaPp]\.?{_SPACE}?[Mm]\.?))"
NUMERIC_DATE = (
    rf"(?P<a>\d{{1,4}})(?P<sep>[./-])(?P<b>\d{{1,2}})(?P=sep)(?P<c>\d{{1,4}})\.?,?{_SPACE}+"
    rf"(?P<H>\d{{1,2}})[:.](?P<M>\d{{2}})(?:[:.](?P<S>\d{{2}}))?{AMPM}?"
)
NAMED_MONTH_DATE = (
    rf"(?P<d>\d{{1,2}})-(?P<mon>[A-Za-z]{{3,4}})\.?-(?P<y>\d{{2,4}}){_SPACE}+"
    rf"(?P<H>\d{{1,2}}):(?P<M>\d{{2}})(?::(?P<S>\d{{2}}))?{AMPM}?"
)
_NUMERIC = re.compile(rf"^{NUMERIC_DATE}$")
_NAMED = re.compile(rf"^{NAMED_MONTH_DATE}$")
_ISO = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}(?::\d{2})?)(?:[.,](?P<frac>\d{1,9}))?"
    r"(?P<zone>Z|[+-]\d{2}:?\d{2})?$"
)
_MONTHS = {name: number for number, name in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}


@dataclass(frozen=True)
class LocalStamp:
    """A local date split into numbers; the field order is decided later, per file."""

    a: int
    b: int
    c: int
    year_first: bool
    named_month: bool
    hour: int
    minute: int
    second: int | None
    pm: bool | None  # None: a 24-hour clock


def split_local(stamp: str) -> LocalStamp | None:
    """The numbers of a local date-time, or None when it is not one."""
    stamp = stamp.strip()
    match = _NUMERIC.match(stamp)
    if match:
        a, b, c = match["a"], match["b"], match["c"]
        if 3 in (len(a), len(c)) or (len(a) == 4 and len(c) == 4):
            return None
        return LocalStamp(int(a), int(b), int(c), len(a) == 4, False, *_clock(match))
    match = _NAMED.match(stamp)
    if match and match["mon"][:3].lower() in _MONTHS:
        return LocalStamp(int(match["d"]), _MONTHS[match["mon"][:3].lower()], int(match["y"]), False, True,
                          *_clock(match))
    return None


def _clock(match: re.Match[str]) -> tuple[int, int, int | None, bool | None]:
    ampm = match["ampm"]
    pm = None if ampm is None else ampm.lower().startswith("p")
    second = None if match["S"] is None else int(match["S"])
    return int(match["H"]), int(match["M"]), second, pm


def choose_order(stamps: list[LocalStamp]) -> str:
    """'ymd', 'dmy' or 'mdy' for a whole file: impossible values first, then time order."""
    if not stamps or stamps[0].year_first:
        return "ymd"
    if stamps[0].named_month or any(s.a > 12 for s in stamps):
        return "dmy"
    if any(s.b > 12 for s in stamps):
        return "mdy"
    backwards = {order: _backward_steps(stamps, order) for order in ("dmy", "mdy")}
    if backwards["dmy"] != backwards["mdy"]:
        return min(backwards, key=backwards.__getitem__)
    return "mdy" if any(s.pm is not None for s in stamps) else "dmy"


def _backward_steps(stamps: list[LocalStamp], order: str) -> int:
    times = [to_datetime(stamp, order) for stamp in stamps]
    return sum(1 for earlier, later in zip(times, times[1:]) if later < earlier)


def to_datetime(stamp: LocalStamp, order: str) -> datetime:
    if order == "ymd" or stamp.year_first:
        year, month, day = stamp.a, stamp.b, stamp.c
    elif order == "dmy" or stamp.named_month:
        day, month, year = stamp.a, stamp.b, stamp.c
    else:
        month, day, year = stamp.a, stamp.b, stamp.c
    if year < 100:
        year += 2000
    hour = stamp.hour
    if stamp.pm is not None:
        hour = hour % 12 + (12 if stamp.pm else 0)
    try:
        return datetime(year, month, day, hour, stamp.minute, stamp.second or 0)
    except ValueError:
        return datetime.min  # an impossible date under this order; counted as out of order


def local_iso(stamp: LocalStamp, order: str, where: str) -> tuple[str, datetime]:
    """ISO text (minutes or seconds, as the source) and the naive datetime."""
    when = to_datetime(stamp, order)
    if when == datetime.min:
        raise BotsmithError(f"{where}: impossible date (day, month and year do not fit together)")
    return when.isoformat(timespec="minutes" if stamp.second is None else "seconds"), when


def parse_iso(text: str) -> tuple[str, datetime] | None:
    """An ISO 8601 stamp kept at its own precision (up to 9 fraction digits), 'Z' written +00:00."""
    match = _ISO.match(text.strip())
    if not match:
        return None
    frac, zone = match["frac"], match["zone"]
    offset = ""
    if zone:
        offset = "+00:00" if zone == "Z" else f"{zone[:3]}:{zone[-2:]}"
    iso = f"{match['date']}T{match['time']}" + (f".{frac}" if frac else "") + offset
    micro = f".{frac[:6]}" if frac else ""
    try:
        when = datetime.fromisoformat(f"{match['date']}T{match['time']}{micro}{offset}")
    except ValueError:
        return None
    return iso, when


def from_unix(value: str | int, where: str) -> tuple[str, datetime]:
    """A Unix time ("1705331045" or Slack's "1705331045.123456") as UTC, at its own precision."""
    match = re.fullmatch(r"\s*(\d+)(?:\.(\d{1,6})\d*)?\s*", str(value))
    if not match:
        raise BotsmithError(f"{where}: not a Unix time ({value!r})")
    frac = match[2] or ""
    micro = int(frac.ljust(6, "0")) if frac else 0
    seconds = match[1]
    try:
        if len(seconds) > 12:  # past the year 33658 (and int() refuses 4,300 digits): not a date
            raise OverflowError
        when = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=int(seconds), microseconds=micro)
    except OverflowError:
        raise BotsmithError(f"{where}: Unix time {str(value)[:30]!r} is out of range (after the year 9999)") from None
    base = when.replace(microsecond=0).isoformat().replace("+00:00", "")
    return base + (f".{frac}" if frac else "") + "+00:00", when
