"""Personal data detection on a sample of a column's values, and masking of shown values.

Each detector is a pattern plus, where one exists, a checksum (Luhn for cards, mod-97 for
IBANs) so that random digit strings are not reported. Header names catch person names,
which no value pattern can.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

PiiKind = Literal["email", "phone", "credit_card", "iban", "national_id", "ip_address", "person_name"]

MIN_RATIO = 0.3
"""Share of sampled values that must match before a column is reported."""

_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+?[\d\s().\-]{7,20}$")
_CARD = re.compile(r"^(?:\d[ \-]?){12,18}\d$")
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")
_NATIONAL_IDS = (
    re.compile(r"^\d{3}-\d{2}-\d{4}$"),  # US social security number
    re.compile(r"^[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]$"),  # UK national insurance number
    re.compile(r"^[12]\s?\d{2}\s?(?:0[1-9]|1[0-2])\s?\d{2}\s?\d{3}\s?\d{3}\s?\d{2}$"),  # French INSEE
)
_CANDIDATE = re.compile(r"[\d@:]")
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_NAME_HEADER = re.compile(
    r"^(?:(?:first|last|full|given|family|middle|maiden|sur|customer|contact|patient|person|employee|user)"
    r"_?)?(?:name|surname|forename)s?$|^(?:first|last)$"
)


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _is_card(value: str) -> bool:
    if not _CARD.match(value):
        return False
    digits = re.sub(r"[ \-]", "", value)
    return 13 <= len(digits) <= 19 and luhn_valid(digits)


def _is_iban(value: str) -> bool:
    compact = value.replace(" ", "").upper()
    if not _IBAN.match(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def _is_phone(value: str) -> bool:
    if not _PHONE.match(value):
        return False
    digits = sum(ch.isdigit() for ch in value)
    # A bare run of digits is more often an id or an amount than a phone number.
    return 7 <= digits <= 15 and (not value.isdigit() or value.startswith(("0", "+")))


def _is_ip(value: str) -> bool:
    if _IPV4.match(value) or (":" in value and len(value) <= 45):
        try:
            ipaddress.ip_address(value)
        except ValueError:
            return False
        return True
    return False


_DETECTORS: tuple[tuple[PiiKind, Callable[[str], bool], bool], ...] = (
    # kind, test, checksum-backed (a match is strong evidence)
    ("email", lambda v: bool(_EMAIL.match(v)), False),
    ("credit_card", _is_card, True),
    ("iban", _is_iban, True),
    ("national_id", lambda v: any(p.match(v) for p in _NATIONAL_IDS), False),
    ("ip_address", _is_ip, False),
    ("phone", _is_phone, False),
)


@dataclass(frozen=True)
class PiiMatch:
    kind: PiiKind
    ratio: float
    confidence: Literal["low", "medium", "high"]
    sample_size: int


def normalise_header(name: str) -> str:
    return re.sub(r"[^a-z]+", "_", name.lower()).strip("_")


def detect(column: str, values: list[str]) -> list[PiiMatch]:
    """PII kinds found in a column, from its header and a sample of its non-null values."""
    found: list[PiiMatch] = []
    sample = Counter(stripped for v in values if v and (stripped := v.strip()))
    size = sum(sample.values())
    hits: Counter[PiiKind] = Counter()
    for value, repeats in sample.items():
        if not _CANDIDATE.search(value):
            continue  # every detector needs a digit, an `@` or a `:`
        # A value counts once, for the first kind it matches: a Luhn-valid card is not also a phone.
        kind = next((kind for kind, test, _ in _DETECTORS if test(value)), None)
        if kind is not None:
            hits[kind] += repeats
    for kind, _, checksum in _DETECTORS:
        ratio = hits[kind] / size if size else 0.0
        if size and ratio >= MIN_RATIO:
            confidence: Literal["low", "medium", "high"] = (
                "high" if ratio >= 0.9 or (checksum and ratio >= 0.5) else "medium" if ratio >= 0.6 else "low"
            )
            found.append(PiiMatch(kind, round(ratio, 4), confidence, size))
    if _NAME_HEADER.match(normalise_header(column)):
        found.append(PiiMatch("person_name", 1.0, "medium", size))
    return found


def mask(value: str) -> str:
    """Keep the shape, hide the content: `ada@example.com` -> `a**@e******.com`, cards keep the last 4."""
    if "@" in value:
        local, _, domain = value.partition("@")
        host, dot, tld = domain.rpartition(".")
        return f"{_keep_first(local)}@{_keep_first(host)}{dot}{tld}" if dot else f"{_keep_first(local)}@***"
    digits = sum(ch.isdigit() for ch in value)
    if digits >= 8:
        seen = 0
        out = []
        for ch in reversed(value):
            if ch.isdigit():
                seen += 1
                out.append(ch if seen <= 4 else "*")
            else:
                out.append(ch)
        return "".join(reversed(out))
    return _keep_first(value)


def _keep_first(text: str) -> str:
    return text[:1] + "*" * max(len(text) - 1, 2) if text else "***"
