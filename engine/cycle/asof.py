"""The default date of a cycle: the last month-end for which NAVs exist."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

# A month counts as complete when its last NAV is this close to its last weekday (business
# days): market holidays (31 December in Korea, Chuseok) leave no NAV on the last weekday.
MONTH_END_SLACK_BDAYS = 3


def last_weekday(day: date) -> date:
    """The last Monday-Friday of `day`'s month."""
    end = (pd.Timestamp(day) + pd.offsets.MonthEnd(0)).date()
    return np.busday_offset(np.datetime64(end, "D"), 0, roll="backward").astype(date)


def is_month_end(day: date) -> bool:
    """Whether a NAV dated `day` closes its month (within MONTH_END_SLACK_BDAYS weekdays)."""
    return int(np.busday_count(np.datetime64(day, "D"), np.datetime64(last_weekday(day), "D"))) <= (
        MONTH_END_SLACK_BDAYS
    )


def default_as_of(month_last_navs: Sequence[date]) -> date | None:
    """The last NAV date of the latest complete month, given each month's last NAV date (oldest
    first): the newest month's when it reaches the month's end, else the month before's."""
    if not month_last_navs:
        return None
    newest = month_last_navs[-1]
    if is_month_end(newest):
        return newest
    return month_last_navs[-2] if len(month_last_navs) > 1 else None
