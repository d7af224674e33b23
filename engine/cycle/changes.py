"""What changed since the previous cycle: a transition matrix of final grades, the funds that
moved by 2 grades or more, and the funds newly eligible or dropped."""

from __future__ import annotations

import pandas as pd

GRADES = (1, 2, 3, 4, 5)
BIG_MOVE = 2


def changes(previous: pd.DataFrame | None, current: pd.DataFrame) -> dict:
    """Compare two cycles' rows (fund_id, fund_name, final_grade): {"matrix": {"grades",
    "rows": [[n per current grade] per previous grade]}, "movers": [{fund_id, fund_name, before,
    after, change}], "new": [fund ids], "dropped": [fund ids], "same": n, "moved": n}. Without
    a previous cycle every fund is new."""
    if previous is None:
        previous = current.iloc[0:0]
    before = previous.set_index("fund_id")["final_grade"].astype("Int64")
    after = current.set_index("fund_id")["final_grade"].astype("Int64")
    both = before.index.intersection(after.index)
    pairs = pd.DataFrame({"before": before.reindex(both), "after": after.reindex(both)}).dropna()
    matrix = [
        [int(((pairs["before"] == b) & (pairs["after"] == a)).sum()) for a in GRADES]
        for b in GRADES
    ]
    moved = pairs[(pairs["after"] - pairs["before"]).abs() >= BIG_MOVE]
    names = current.set_index("fund_id")["fund_name"]
    movers = [
        {"fund_id": f, "fund_name": names.get(f), "before": int(r.before), "after": int(r.after),
         "change": int(r.after - r.before)}
        for f, r in moved.iterrows()
    ]  # fmt: skip
    return {
        "matrix": {"grades": list(GRADES), "rows": matrix},
        "movers": sorted(movers, key=lambda m: (-abs(m["change"]), m["fund_id"])),
        "new": sorted(set(after.index) - set(before.index)),
        "dropped": sorted(set(before.index) - set(after.index)),
        "same": int((pairs["before"] == pairs["after"]).sum()),
        "moved": int((pairs["before"] != pairs["after"]).sum()),
    }
