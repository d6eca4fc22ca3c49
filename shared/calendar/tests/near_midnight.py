#!/usr/bin/env python3
"""The festival months of 1950-2100 whose new moon falls near midnight in Beijing (UTC+8), and the
day each source starts the month on: how the crate README's ambiguity decision was reached.

A Chinese month starts on the day (UTC+8) that contains the new moon (GB/T 33661-2017). Ephemerides
give the new moon in Terrestrial Time (TT); civil time is UT = TT - ΔT, and ΔT (about 69 s in 2025)
can only be predicted for later years. So for a new moon s seconds after midnight in TT+8 h the
month starts the day before exactly when ΔT > s: the script prints that threshold.

Two independent computations: PyEphem 4.2.1 (libastro, its own ΔT model; converted back to TT) and
Meeus, Astronomical Algorithms ch. 49 via PyMeeus 0.5.12 (TT directly; stated error under 20 s).
`pip install ephem==4.2.1 pymeeus==0.5.12 borax==4.1.3 lunardate==0.3.0`.
"""
import datetime as dt

import ephem
from borax.calendars.lunardate import LunarDate as BoraxDate
from lunardate import LunarDate as LunardateDate
from pymeeus.Epoch import Epoch
from pymeeus.Moon import Moon

FESTIVALS = [("spring_festival", 1, 1), ("mid_autumn", 8, 15), ("chongyang", 9, 9)]
WINDOW = dt.timedelta(minutes=15)
J2000 = dt.datetime(2000, 1, 1, 12)  # JD 2451545.0


def ephem_tt(near: dt.date) -> dt.datetime:
    """The new moon nearest `near` by PyEphem, in TT."""
    start = ephem.Date(dt.datetime.combine(near, dt.time()) - dt.timedelta(days=5))
    new_moon = ephem.next_new_moon(start)
    return new_moon.datetime() + dt.timedelta(seconds=ephem.delta_t(new_moon))


def meeus_tt(near: dt.date) -> dt.datetime:
    """The new moon nearest `near` by Meeus's series, in TT."""
    jde = Moon.moon_phase(Epoch(near.year, near.month, near.day), target="new").jde()
    return J2000 + dt.timedelta(days=jde - 2451545.0)


def month_start(festival: dt.date, day: int) -> dt.date:
    return festival - dt.timedelta(days=day - 1)


def main() -> None:
    print("year festival        month starts: borax  lunardate  | new moon, TT+8h: ephem"
          "   meeus          | the day before iff ΔT > (ephem / meeus)")
    for year in range(1950, 2101):
        for name, month, day in FESTIVALS:
            start = month_start(BoraxDate(year, month, day, 0).to_solar_date(), day)
            other = None
            if year <= 2099:
                other = month_start(LunardateDate(year, month, day, False).to_solar_date(), day)
            midnight = dt.datetime.combine(start, dt.time())
            times = [t + dt.timedelta(hours=8) for t in (ephem_tt(start), meeus_tt(start))]
            # The midnight nearest the new moon, and how far after it the new moon is (TT).
            nearest = min((midnight, midnight + dt.timedelta(days=1)), key=lambda m: abs(times[0] - m))
            offsets = [(t - nearest).total_seconds() for t in times]
            if abs(offsets[0]) > WINDOW.total_seconds() and other in (None, start):
                continue
            # Before midnight in TT is before midnight in UT too (ΔT > 0): no ΔT moves the day.
            threshold = " / ".join(f"{o:.0f} s" for o in offsets) if offsets[0] > 0 else "never"
            print(f"{year} {name:16} {start} {str(other or '-'):10} | "
                  f"{times[0]:%m-%d %H:%M:%S} {times[1]:%m-%d %H:%M:%S} | {threshold}")


if __name__ == "__main__":
    main()
