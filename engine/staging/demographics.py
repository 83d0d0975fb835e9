"""Age and sex from an EDF header's patient field, when it says.

EDF+ puts ``code sex birthdate name`` there (``MCH-0234567 F 02-MAY-1951 Haagse_Harry``);
plain EDF files hold free text (``Female_33yr``, ``man - 28/03/1957``). Anything we cannot
read stays unknown (None): a stager then runs without demographics."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Demographics:
    age_years: float | None = None
    male: int | None = None  # 1 male, 0 female, None unknown

    def as_yasa_metadata(self) -> dict | None:
        """YASA's ``metadata`` needs both age and sex; None when either is unknown."""
        if self.age_years is None or self.male is None or not 0 < self.age_years < 120:
            return None
        return {"age": float(self.age_years), "male": int(self.male)}


def _age(birth: dt.date, at: dt.datetime | None) -> float | None:
    if at is None:
        return None
    days = (at.date() - birth).days
    return days / 365.25 if days > 0 else None


def edf_plus_birthdate(field: str) -> dt.date | None:
    """``02-MAY-1951`` (EDF+'s birthdate subfield) as a date; None otherwise."""
    from engine.io.edf_header import parse_edf_plus_date

    return parse_edf_plus_date(field)


def sex_in_text(text: str) -> int | None:
    """1 male, 0 female from free text (``man - 28/03/1957``, ``Female_33yr``); None."""
    low = text.lower()
    if re.search(r"\b(female|woman|girl)\b|female_", low):
        return 0
    if re.search(r"\b(male|man|boy)\b|male_", low):
        return 1
    return None


def birthdate_in_text(text: str) -> dt.date | None:
    """A day/month/year date in free text (``28/03/1957``); None."""
    m = re.search(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b", text)
    if not m:
        return None
    try:
        return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        return None


def demographics_from_header(patient: str, recording_start: dt.datetime | None = None) -> Demographics:
    text = (patient or "").strip()
    parts = text.split()
    male: int | None = None
    age: float | None = None
    # EDF+: code sex birthdate name
    if len(parts) >= 3 and parts[1].upper() in ("M", "F", "X"):
        male = {"M": 1, "F": 0}.get(parts[1].upper())
        birth = edf_plus_birthdate(parts[2])
        age = _age(birth, recording_start) if birth is not None else None
    if male is None:
        male = sex_in_text(text)
    if age is None:
        m = re.search(r"(\d{1,3}(?:\.\d+)?)\s*(?:yr|yrs|years?|y)\b", text.lower())
        if m:
            age = float(m.group(1))
        else:
            birth = birthdate_in_text(text)
            age = _age(birth, recording_start) if birth is not None else None
    if age is not None and not 0 < age < 120:
        age = None
    return Demographics(age, male)
