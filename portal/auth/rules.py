"""Login throttling and password rules — pure."""
from datetime import datetime, timedelta

MIN_PASSWORD_LENGTH = 8


def after_failed_login(failures_before: int, now: datetime, *, max_failures: int = 5,
                       lock_minutes: int = 15) -> tuple[int, datetime | None]:
    """Return (failures, locked_until) after one more failed password.

    The fifth failure in a row locks the account for 15 minutes (issue 2 §4);
    the count restarts after the lock.
    """
    failures = failures_before + 1
    if failures >= max_failures:
        return 0, now + timedelta(minutes=lock_minutes)
    return failures, None


# Passwords that the first guesses of any attacker include (and the demo password).
COMMON_PASSWORDS = frozenset({
    "password1", "password123", "passw0rd", "p@ssw0rd", "a1234567", "1234abcd",
    "qwer1234", "qwerty123", "1qaz2wsx", "admin123", "admin1234", "test1234", "demo1234", "iloveyou1",
    "zxcv1234", "asdf1234", "aa123456", "a12345678",
})


def password_problem(password: str, username: str | None = None) -> str | None:
    """Return why a new password is unacceptable, or None."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return f"密碼至少需 {MIN_PASSWORD_LENGTH} 個字元"
    if password.isdigit() or password.isalpha():
        return "密碼需同時包含英文字母與數字"
    if password.lower() in COMMON_PASSWORDS:
        return "這個密碼太常見，容易被猜中，請換一個"
    if username and len(username) >= 3 and username.lower() in password.lower():
        return "密碼不能包含帳號名稱"
    return None


def address_window(count_before: int, window_start: datetime | None, now: datetime, *,
                   window_minutes: int = 15) -> tuple[int, datetime]:
    """Return (count, window_start) after one more failed login from an address.

    Failures are counted in a fixed window that starts at the first failure;
    an expired window starts again at `now`.
    """
    if window_start is None or now - window_start >= timedelta(minutes=window_minutes):
        return 1, now
    return count_before + 1, window_start


def address_blocked(count: int, window_start: datetime | None, now: datetime, *, max_failures: int = 20,
                    window_minutes: int = 15) -> bool:
    """True while an address has failed `max_failures` times in the current window (issue 11 §2)."""
    if window_start is None or now - window_start >= timedelta(minutes=window_minutes):
        return False
    return count >= max_failures
