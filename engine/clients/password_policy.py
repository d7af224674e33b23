"""Which passwords the workbench accepts.

A password must have at least `MIN_LENGTH` characters, not be blank, differ from the user name
(ignoring case), not be one of the 30,000 most common passwords (the `passwords` frequency
list that the `zxcvbn` package ships), and not be easy to guess by zxcvbn's estimate (score
below `MIN_SCORE`, e.g. a common word with digits, a repeated pattern or the user name inside).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 10
MIN_SCORE = 2  # zxcvbn: 2 = at least 10^8 guesses, beyond a throttled online attack
ZXCVBN_MAX_LENGTH = 72  # zxcvbn refuses longer input; anything that long is not guessable
COMMON_PASSWORDS = frozenset(FREQUENCY_LISTS["passwords"])  # lower-case, most common first
# zxcvbn keeps the user inputs of a call in a module-level dictionary: one call at a time.
_ZXCVBN_LOCK = threading.Lock()


@dataclass(frozen=True)
class Refusal:
    """Why a password is refused: a `code` for translated messages and an English `message`."""

    code: str
    message: str


def password_refusal(password: str, user_name: str) -> Refusal | None:
    """The reason `password` is refused for the user `user_name`, or None when it is accepted."""
    if not isinstance(password, str) or not password.strip():
        return Refusal("blank", "the password must not be empty or only spaces")
    if len(password) < MIN_LENGTH:
        return Refusal("short", f"the password must have at least {MIN_LENGTH} characters")
    folded = password.strip().casefold()
    if folded == (user_name or "").strip().casefold():
        return Refusal("name", "the password must not be the user name")
    if folded in COMMON_PASSWORDS:
        return Refusal(
            "common", "this password is one of the most common passwords: choose another"
        )
    if len(password) <= ZXCVBN_MAX_LENGTH:
        with _ZXCVBN_LOCK:
            score = zxcvbn(password, user_inputs=[user_name or ""])["score"]
        if score < MIN_SCORE:
            return Refusal(
                "guessable",
                "this password is too easy to guess (a common word, a pattern or the user name):"
                " use a longer phrase of unrelated words",
            )
    return None
