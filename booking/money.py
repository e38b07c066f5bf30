"""Money as integer minor units with an explicit currency. Imports no layer."""

from __future__ import annotations

from dataclasses import dataclass

# ISO 4217 currencies we accept, with their minor-unit exponent (JPY has none).
CURRENCIES: dict[str, int] = {
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CAD": 2,
    "AUD": 2,
    "NZD": 2,
    "CHF": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "JPY": 0,
    "SGD": 2,
    "MXN": 2,
    "BRL": 2,
    "INR": 2,
    "ZAR": 2,
}


@dataclass(frozen=True, order=True)
class Money:
    minor: int
    currency: str

    def __post_init__(self) -> None:
        if self.currency not in CURRENCIES:
            raise ValueError(f"unsupported currency {self.currency!r}")
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise TypeError("Money takes integer minor units")

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def share(self, basis_points: int) -> Money:
        """`basis_points`/10000 of this amount, rounded down to a whole minor unit."""
        if not 0 <= basis_points <= 10000:
            raise ValueError("basis points run from 0 to 10000")
        return Money(self.minor * basis_points // 10000, self.currency)
