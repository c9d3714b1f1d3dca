"""Loading and validating the offence taxonomy and jurisdiction profiles.

Each document is checked against its published JSON Schema (``vocabulary/schema/``), then semantically:
a real IANA zone, a holiday calendar the ``holidays`` package knows, statutes mapped onto codes that exist
in the taxonomy, unique statute ids. Every problem becomes one :class:`~comity.errors.FieldError` with the
path of the offending field; all problems are reported at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from comity.errors import FieldError, InvalidInput
from comity.kinds import SeverityBand
from comity.vocabulary.documents import Source, raise_if, read_source, schema_errors
from comity.vocabulary.model import LIFE_IMPRISONMENT_MONTHS, JurisdictionProfile, Offence, Statute

_PACKAGE = "comity.vocabulary"
TAXONOMY_SCHEMA = "taxonomy.schema.json"
JURISDICTION_SCHEMA = "jurisdiction.schema.json"


def data_dir() -> Path:
    """The folder of bundled vocabulary data (taxonomy and demo profiles)."""
    return Path(str(resources.files(_PACKAGE).joinpath("data")))


def schema_path(name: str) -> Path:
    """Where a published schema file lives (served by the API and linked from the docs)."""
    return Path(str(resources.files(_PACKAGE).joinpath("schema", name)))


# --- taxonomy ---------------------------------------------------------------------------------------------


def taxonomy_errors(data: Mapping[str, Any]) -> list[FieldError]:
    """Schema problems of a taxonomy document (the taxonomy has no cross-document references)."""
    return schema_errors(_PACKAGE, TAXONOMY_SCHEMA, data)


def parse_taxonomy(data: Mapping[str, Any], *, origin: str = "taxonomy") -> dict[str, Offence]:
    """Validate a taxonomy document already read into data, and build its offences by code."""
    raise_if(taxonomy_errors(data), origin=origin, what="taxonomy")
    return offences_from_document(data)


def offences_from_document(data: Mapping[str, Any]) -> dict[str, Offence]:
    """Build the offences of a taxonomy document that has already passed validation."""
    offences: dict[str, Offence] = {}
    for code, entry in data["offences"].items():
        categories = tuple(entry.get("list_categories", ()))
        offences[code] = Offence(
            code=code,
            name=entry["name"],
            severity=SeverityBand[entry["severity"].upper()],
            list_offence=bool(categories),
            cyber_or_terror=entry.get("cyber_or_terror", False),
            description=" ".join(entry.get("description", "").split()),
            list_category=categories[0] if categories else None,
            list_categories=categories,
            convention_offence=entry.get("convention_offence", False),
        )
    return offences


def load_taxonomy(source: Source | None = None) -> dict[str, Offence]:
    """Load a taxonomy (file path, YAML text or parsed data); default: the bundled one."""
    data, origin = read_source(source or data_dir() / "taxonomy.yaml", what="taxonomy")
    return parse_taxonomy(data, origin=origin)


def taxonomy_version(source: Source | None = None) -> int:
    """The ``version`` of a taxonomy document (after validation)."""
    data, origin = read_source(source or data_dir() / "taxonomy.yaml", what="taxonomy")
    raise_if(taxonomy_errors(data), origin=origin, what="taxonomy")
    return int(data["version"])


# --- jurisdiction profiles --------------------------------------------------------------------------------


@cache
def _holiday_calendars() -> dict[str, list[str]]:
    supported: dict[str, list[str]] = holidays.list_supported_countries()
    return supported


def jurisdiction_errors(data: Mapping[str, Any], offences: Mapping[str, Offence]) -> list[FieldError]:
    """Every problem of a profile: schema first; semantic checks only once the shape is right."""
    errors = schema_errors(_PACKAGE, JURISDICTION_SCHEMA, data)
    if errors:
        return errors
    try:
        ZoneInfo(data["time_zone"])
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(FieldError("time_zone", f"unknown IANA time zone {data['time_zone']!r}"))
    calendars = _holiday_calendars()
    country = data["holiday_country"]
    if country not in calendars:
        errors.append(FieldError("holiday_country", f"the holidays package has no calendar for {country!r}"))
    else:
        subdivision = data.get("holiday_subdivision")
        if subdivision is not None and subdivision not in calendars[country]:
            errors.append(
                FieldError("holiday_subdivision", f"{country} has no subdivision {subdivision!r} in holidays")
            )
    seen: dict[str, int] = {}
    for index, statute in enumerate(data["statutes"]):
        sid = statute["id"]
        if sid in seen:
            errors.append(
                FieldError(f"statutes[{index}].id", f"duplicate of statutes[{seen[sid]}].id {sid!r}")
            )
        else:
            seen[sid] = index
        # Statute ids are quoted across nodes (--statute, decisions): the prefix keeps them unique.
        if not sid.startswith(data["code"] + "-"):
            errors.append(FieldError(f"statutes[{index}].id", f"must start with {data['code']}-"))
        if statute["offence"] not in offences:
            errors.append(
                FieldError(f"statutes[{index}].offence", f"no offence {statute['offence']!r} in the taxonomy")
            )
    return errors


def parse_jurisdiction(
    data: Mapping[str, Any], offences: Mapping[str, Offence], *, origin: str = "jurisdiction profile"
) -> JurisdictionProfile:
    """Validate a profile document against ``offences`` and build the profile."""
    raise_if(jurisdiction_errors(data, offences), origin=origin, what="jurisdiction profile")
    return jurisdiction_from_document(data)


def jurisdiction_from_document(data: Mapping[str, Any]) -> JurisdictionProfile:
    """Build a profile from a document that has already passed validation (e.g. an approved version)."""
    code = data["code"]
    statutes = tuple(_statute(code, entry) for entry in data["statutes"])
    return JurisdictionProfile(
        code=code,
        name=data["name"],
        languages=tuple(data["languages"]),
        time_zone=data["time_zone"],
        legal_system=data["legal_system"],
        holiday_country=data["holiday_country"],
        challenge_period_days=data["challenge_period_days"],
        statutes=statutes,
        illustrative=data.get("illustrative", True),
        holiday_subdivision=data.get("holiday_subdivision"),
        eu_member=data.get("eu_member", True),
        extra=dict(data.get("extra", {})),
        version=data["version"],
        challenge_period_basis=data.get("challenge_period_basis", ""),
    )


def _statute(code: str, entry: Mapping[str, Any]) -> Statute:
    life = entry["max_penalty_months"] == "life"
    return Statute(
        id=entry["id"],
        jurisdiction=code,
        offence=entry["offence"],
        citation=entry["citation"],
        max_penalty_months=LIFE_IMPRISONMENT_MONTHS if life else int(entry["max_penalty_months"]),
        title=entry.get("title", ""),
        life_imprisonment=life,
    )


def load_jurisdiction(source: Source, offences: Mapping[str, Offence] | None = None) -> JurisdictionProfile:
    """Load one profile (file path, YAML text or parsed data) against ``offences`` (default: bundled)."""
    data, origin = read_source(source, what="jurisdiction profile")
    return parse_jurisdiction(data, offences if offences is not None else load_taxonomy(), origin=origin)


def bundled_jurisdiction_files() -> list[Path]:
    """The bundled demo profiles, one YAML file per jurisdiction, in a stable order."""
    return sorted((data_dir() / "jurisdictions").glob("*.yaml"))


def load_jurisdictions(
    directory: Path | None = None, offences: Mapping[str, Offence] | None = None
) -> dict[str, JurisdictionProfile]:
    """Load every profile of ``directory`` (default: the bundled demo profiles), keyed by ISO code."""
    offences = offences if offences is not None else load_taxonomy()
    files = sorted(directory.glob("*.yaml")) if directory is not None else bundled_jurisdiction_files()
    profiles: dict[str, JurisdictionProfile] = {}
    for path in files:
        profile = load_jurisdiction(path, offences)
        if profile.code in profiles:
            raise InvalidInput(
                f"{path}: a second profile for {profile.code}", [FieldError("code", "already defined")]
            )
        profiles[profile.code] = profile
    return profiles
