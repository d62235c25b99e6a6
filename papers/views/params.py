"""Numbers a request's parameters hold (ids, counts), read without trusting them."""

from collections.abc import Iterable

# The largest value of a bigint column, such as every id.
LARGEST = 2**63 - 1


def number(value: str | None) -> int:
    """The whole number `value` writes in ASCII digits, if a bigint holds it; else 0.

    0 is no row's id. `str.isdigit` also accepts "²", which int() refuses,
    and a number past a bigint makes PostgreSQL refuse the statement: both
    were server errors for a forged form.
    """
    if not value or len(value) > len(str(LARGEST)) or not (value.isascii() and value.isdigit()):
        return 0
    found = int(value)
    return found if found <= LARGEST else 0


def numbers(values: Iterable[str]) -> list[int]:
    """The numbers of `values` (see `number`), leaving out what is none."""
    return [found for value in values if (found := number(value))]
