"""What a cap per fixed period really allows, in words an operator reads at deployment.

Merchant caps and route caps reset at fixed period boundaries, and each period starts with the
whole cap: all of one period's cap can be issued in its last second and all of the next one's in
its first. The true worst case within any window of one period's length is therefore twice the cap.
"""

# Largest first: a period is named in the largest unit that divides it.
_UNITS = (("week", 604_800), ("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1))


def _period_words(seconds: int) -> tuple[str, str]:
    """`("day", "day-long")` for 86,400 s, `("30 days", "30-day")` for 2,592,000 s (`seconds` > 0)."""
    unit, length = next((unit, length) for unit, length in _UNITS if seconds % length == 0)
    count = seconds // length
    if count == 1:
        return unit, f"{unit}-long"
    return f"{count:,} {unit}s", f"{count:,}-{unit}"


def worst_case(cap: int, period_seconds: int, unit: str) -> str:
    """E.g. `cap 50,000 BEAN per day; at most 100,000 BEAN within any day-long window that crosses a reset`."""
    period, window = _period_words(period_seconds)
    return (f"cap {cap:,} {unit} per {period}; "
            f"at most {2 * cap:,} {unit} within any {window} window that crosses a reset")
