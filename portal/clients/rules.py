"""Client identity rules — pure."""
from datetime import date

# 身分證字號 letter values (內政部): A=10 … Z=33, with I, O, W, X, Y, Z out of sequence.
_LETTER_VALUES = {
    "A": 10, "B": 11, "C": 12, "D": 13, "E": 14, "F": 15, "G": 16, "H": 17, "I": 34,
    "J": 18, "K": 19, "L": 20, "M": 21, "N": 22, "O": 35, "P": 23, "Q": 24, "R": 25,
    "S": 26, "T": 27, "U": 28, "V": 29, "W": 32, "X": 30, "Y": 31, "Z": 33,
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 1, 1)


def normalise_national_id(text: str) -> str:
    return (text or "").strip().upper().translate(str.maketrans("０１２３４５６７８９", "0123456789"))


def national_id_problem(text: str) -> str | None:
    """Return why `text` is not a valid ROC national ID (or new-format resident certificate), else None.

    Second character 1/2 for citizens (male/female), 8/9 for the 2021 resident
    certificate numbers, which use the same checksum.
    """
    s = normalise_national_id(text)
    if len(s) != 10:
        return "身分證字號應為 10 碼（1 個英文字母加 9 個數字）"
    if s[0] not in _LETTER_VALUES or not s[1:].isdigit():
        return "身分證字號格式不正確：第 1 碼為英文字母，其後 9 碼為數字"
    if s[1] not in "1289":
        return "身分證字號第 2 碼應為 1、2、8 或 9"
    letter = _LETTER_VALUES[s[0]]
    total = letter // 10 + (letter % 10) * 9
    total += sum(int(c) * w for c, w in zip(s[1:], _WEIGHTS))
    if total % 10:
        return "身分證字號檢查碼不符，請再核對一次"
    return None


def mask_national_id(text: str) -> str:
    """Return `A12****789` for lists and printouts that do not need the full number."""
    s = normalise_national_id(text)
    if len(s) < 7:
        return "*" * len(s)
    return s[:3] + "*" * (len(s) - 6) + s[-3:]


def age_on(birth_date: date, day: date) -> int:
    """Return the age in whole years on `day` (Q18: age is taken on the service day)."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def sex_from_national_id(text: str) -> str | None:
    s = normalise_national_id(text)
    if len(s) == 10 and s[1] in "18":
        return "M"
    if len(s) == 10 and s[1] in "29":
        return "F"
    return None


# --- retention (decisions Q28) ---------------------------------------------------------------------

MIN_RETENTION_YEARS = 7


def purge_after(last_activity: date, years: int = MIN_RETENTION_YEARS) -> date:
    """The last day a client's data must be kept.

    Q28: 7 years from the end of the case, or for billing from the end of the service year. Counting
    from the end of the calendar year of the latest date on any of the client's records covers both
    (a closure date is never later than its year's end) and never purges early. Fewer than 7 years is
    never allowed, whatever the setting says.
    """
    years = max(int(years), MIN_RETENTION_YEARS)
    return date(last_activity.year + years, 12, 31)


def is_expired(last_activity: date | None, today: date, years: int = MIN_RETENTION_YEARS) -> bool:
    return last_activity is not None and today > purge_after(last_activity, years)
