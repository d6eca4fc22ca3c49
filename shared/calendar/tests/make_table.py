#!/usr/bin/env python3
"""Writes holidays_1950_2100.csv beside this script: the independent table that tests/table.rs
compares nuanxin-calendar with, year by year.

Made once with borax 4.1.3 (`pip install borax==4.1.3 lunardate==0.3.0`), whose lunar tables
cover 1900-2100 and follow the Hong Kong Observatory's conversion tables. lunardate 0.3.0, a
second table (1900-2099 only), is compared too and every disagreement printed to stderr; the
crate README says which source is right in each case and why.
"""
import csv
import datetime as dt
import pathlib
import sys

from borax.calendars.lunardate import LunarDate as BoraxDate
from lunardate import LunarDate as LunardateDate

FESTIVALS = [("spring_festival", 1, 1), ("mid_autumn", 8, 15), ("chongyang", 9, 9)]
FIRST, LAST = 1950, 2100


def borax(year: int, month: int, day: int) -> dt.date:
    # leap=0: the festival is in the regular month even in a year with a leap month of that number.
    return BoraxDate(year, month, day, 0).to_solar_date()


def lunardate(year: int, month: int, day: int):
    if year > 2099:  # lunardate's table ends with 2099
        return None
    return LunardateDate(year, month, day, False).to_solar_date()


def main() -> None:
    out = pathlib.Path(__file__).with_name("holidays_1950_2100.csv")
    with out.open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["year"] + [name for name, _, _ in FESTIVALS])
        for year in range(FIRST, LAST + 1):
            row = [str(year)]
            for name, month, day in FESTIVALS:
                date = borax(year, month, day)
                other = lunardate(year, month, day)
                if other is not None and other != date:
                    print(f"{year} {name}: borax {date}, lunardate {other}", file=sys.stderr)
                row.append(date.isoformat())
            writer.writerow(row)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
