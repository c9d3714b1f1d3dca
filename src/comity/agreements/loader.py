"""Loading and validating agreements: YAML documents checked against the published JSON Schema and then
against the vocabulary they refer to.

Semantic checks beyond the schema: the sunset falls after the effective date, covered offences exist in
the taxonomy, every party's jurisdiction has a profile, no party appears twice, measures are valid for the
regime (no payment freeze under e-Evidence), bands are consistent (a measure permitted for a less serious
band stays permitted for a more serious one), data measures come with data categories, and regime-bound
options (the Budapest Art. 29(4) reservation) appear only under their regime.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

from comity.agreements.model import Agreement, DataCategoryTerms, NoticeRules, Party
from comity.agreements.regimes import DATA_MEASURES, PLATFORM_REGIMES, REGIME_MEASURES
from comity.errors import FieldError
from comity.kinds import ActionKind, Counting, DataCategory, Regime, SeverityBand
from comity.periods import Period
from comity.vocabulary.documents import Source, raise_if, read_source, schema_errors
from comity.vocabulary.loader import load_jurisdictions, load_taxonomy
from comity.vocabulary.model import JurisdictionProfile, Offence

_PACKAGE = "comity.agreements"
AGREEMENT_SCHEMA = "agreement.schema.json"

#: Bands in order of seriousness, as they are spelled in documents.
_BANDS: tuple[str, ...] = tuple(band.label for band in SeverityBand)


def package_dir(name: str) -> Path:
    """A folder shipped with the package: ``schema``, ``templates`` or ``demo``."""
    return Path(str(resources.files(_PACKAGE).joinpath(name)))


def agreement_errors(
    data: Mapping[str, Any],
    offences: Mapping[str, Offence],
    jurisdictions: Mapping[str, JurisdictionProfile],
) -> list[FieldError]:
    """Every problem of an agreement document; semantic checks run once the schema holds."""
    errors = schema_errors(_PACKAGE, AGREEMENT_SCHEMA, data)
    if errors:
        return errors
    errors += _date_errors(data)
    errors += _party_errors(data, jurisdictions)
    for index, code in enumerate(data["offences"]):
        if code not in offences:
            errors.append(FieldError(f"offences[{index}]", f"no offence {code!r} in the taxonomy"))
    errors += _measure_errors(data)
    errors += _deadline_errors(data)
    errors += _regime_option_errors(data)
    return errors


def _date_errors(data: Mapping[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    parsed: dict[str, date] = {}
    for name in ("effective", "sunset"):
        try:
            parsed[name] = date.fromisoformat(data[name])
        except ValueError:
            errors.append(FieldError(name, f"not a date: {data[name]!r} (expected YYYY-MM-DD)"))
    if len(parsed) == 2 and parsed["sunset"] <= parsed["effective"]:
        errors.append(FieldError("sunset", f"must fall after the effective date {data['effective']}"))
    return errors


def _party_errors(
    data: Mapping[str, Any], jurisdictions: Mapping[str, JurisdictionProfile]
) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: dict[tuple[str, str], int] = {}
    for index, party in enumerate(data["parties"]):
        code = party["jurisdiction"]
        if code not in jurisdictions:
            errors.append(
                FieldError(f"parties[{index}].jurisdiction", f"no jurisdiction profile for {code!r}")
            )
        # A party is a jurisdiction, or one organisation within it: the same pair twice is a duplicate.
        identity = (code, party.get("organisation") or "")
        if identity in seen:
            errors.append(FieldError(f"parties[{index}]", f"duplicate of parties[{seen[identity]}]"))
        else:
            seen[identity] = index
    regime = Regime(data["regime"])
    if regime in PLATFORM_REGIMES and not any(p.get("role") == "platform" for p in data["parties"]):
        errors.append(FieldError("parties", f"a {regime.value} agreement needs a party with role platform"))
    party_codes = {p["jurisdiction"] for p in data["parties"]}
    for index, code in enumerate(data.get("territorial_scope", ())):
        if code not in party_codes:
            errors.append(FieldError(f"territorial_scope[{index}]", f"{code} is not a party's jurisdiction"))
    return errors


def _measure_errors(data: Mapping[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    regime = Regime(data["regime"])
    valid = REGIME_MEASURES[regime]
    measures: dict[str, list[str]] = data["permitted_measures"]
    for band in _BANDS:
        for index, kind in enumerate(measures.get(band, ())):
            if ActionKind(kind) not in valid:
                allowed = ", ".join(sorted(valid))
                errors.append(
                    FieldError(
                        f"permitted_measures.{band}[{index}]",
                        f"{kind} is not a measure of the {regime.value} regime (allowed: {allowed})",
                    )
                )
    # Proportionality runs one way: what is permitted for a lesser band stays permitted for a graver one.
    for lower, higher in pairwise(_BANDS):
        missing = sorted(set(measures.get(lower, ())) - set(measures.get(higher, ())))
        if missing:
            errors.append(
                FieldError(
                    f"permitted_measures.{higher}",
                    f"permits less than {lower}: missing {', '.join(missing)}",
                )
            )
    permitted = {ActionKind(k) for kinds in measures.values() for k in kinds}
    if permitted & DATA_MEASURES and not data["data_categories"]:
        errors.append(FieldError("data_categories", "required when data measures are permitted"))
    for name, terms in data["data_categories"].items():
        # Only a field that may leave at all can leave pseudonymised.
        for field_name in sorted(set(terms.get("pseudonymous_fields", ())) - set(terms.get("fields", ()))):
            errors.append(
                FieldError(
                    f"data_categories.{name}.pseudonymous_fields",
                    f"{field_name} is not one of the category's shareable fields",
                )
            )
    return errors


def _deadline_errors(data: Mapping[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    periods: dict[str, Any] = dict(data["deadlines"])
    notice = data["notice"].get("prior_notice_period")
    if notice is not None:
        periods["notice.prior_notice_period"] = notice
    for name, text in periods.items():
        try:
            Period.parse(text)
        except ValueError as exc:
            path = name if name.startswith("notice.") else f"deadlines.{name}"
            errors.append(FieldError(path, str(exc)))
    return errors


def _regime_option_errors(data: Mapping[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    regime = Regime(data["regime"])
    if data.get("dual_criminality_reservation") and regime is not Regime.BUDAPEST_PRESERVATION:
        errors.append(
            FieldError(
                "dual_criminality_reservation",
                "only a budapest_preservation agreement can carry a Budapest Art. 29(4) reservation",
            )
        )
    if data.get("list_offence_exemption") and regime is not Regime.MUTUAL_LEGAL_ASSISTANCE:
        errors.append(
            FieldError(
                "list_offence_exemption",
                "only a mutual_legal_assistance agreement states this (other regimes fix it in law)",
            )
        )
    return errors


def parse_agreement(
    data: Mapping[str, Any],
    offences: Mapping[str, Offence],
    jurisdictions: Mapping[str, JurisdictionProfile],
    *,
    origin: str = "agreement",
) -> Agreement:
    """Validate an agreement document already read into data, and build the :class:`Agreement`."""
    raise_if(agreement_errors(data, offences, jurisdictions), origin=origin, what="agreement")
    return agreement_from_document(data)


def agreement_from_document(data: Mapping[str, Any]) -> Agreement:
    """Build an agreement from a document that has already passed validation (e.g. an approved version)."""
    measures = data["permitted_measures"]
    notice = data["notice"]
    prior = notice.get("prior_notice_period")
    return Agreement(
        id=data["id"],
        version=data["version"],
        regime=Regime(data["regime"]),
        title=data["title"],
        parties=tuple(
            Party(
                jurisdiction=p["jurisdiction"],
                name=p["name"],
                role=p.get("role", "state"),
                organisation=p.get("organisation"),
            )
            for p in data["parties"]
        ),
        offences=frozenset(data["offences"]),
        permitted_measures={
            SeverityBand[band.upper()]: frozenset(ActionKind(k) for k in measures.get(band, ()))
            for band in _BANDS
        },
        data_categories={
            DataCategory(name): DataCategoryTerms(
                category=DataCategory(name),
                retention_days=terms["retention_days"],
                conditions=" ".join(terms.get("conditions", "").split()),
                fields=tuple(terms.get("fields", ())),
                pseudonymous_fields=tuple(terms.get("pseudonymous_fields", ())),
            )
            for name, terms in data["data_categories"].items()
        },
        deadlines={name: Period.parse(text) for name, text in data["deadlines"].items()},
        counting=Counting(data["counting"]),
        notice=NoticeRules(
            prior_notice_period=Period.parse(prior) if prior is not None else None,
            max_deferral_days=notice["max_deferral_days"],
        ),
        oversight_body=data["oversight_body"],
        review_cadence_months=data["review_cadence_months"],
        effective=date.fromisoformat(data["effective"]),
        sunset=date.fromisoformat(data["sunset"]),
        dual_criminality_reservation=data.get("dual_criminality_reservation", False),
        list_offence_exemption=data.get("list_offence_exemption", False),
        territorial_scope=tuple(data.get("territorial_scope", ())),
        summary=" ".join(data.get("summary", "").split()),
        clauses={key: " ".join(text.split()) for key, text in data.get("clauses", {}).items()},
    )


def load_agreement(
    source: Source,
    *,
    offences: Mapping[str, Offence] | None = None,
    jurisdictions: Mapping[str, JurisdictionProfile] | None = None,
) -> Agreement:
    """Load one agreement (file path, YAML text or parsed data).

    Validated against ``offences`` and ``jurisdictions``, by default the bundled taxonomy and demo
    profiles (so ``comity agreements validate`` works without a database). Raises
    :class:`~comity.errors.InvalidInput` with one :class:`~comity.errors.FieldError` per problem.
    """
    data, origin = read_source(source, what="agreement")
    offences = offences if offences is not None else load_taxonomy()
    jurisdictions = jurisdictions if jurisdictions is not None else load_jurisdictions(offences=offences)
    return parse_agreement(data, offences, jurisdictions, origin=origin)


def bundled_files(folder: str) -> list[Path]:
    """The YAML files of a bundled folder (``demo`` or ``templates``), in a stable order."""
    return sorted(package_dir(folder).glob("*.yaml"))
