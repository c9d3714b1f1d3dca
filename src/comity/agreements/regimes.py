"""What each legal regime can carry: the measures an agreement under it may permit, and its legal basis.

An agreement may narrow these but never widen them: a payment freeze is not an e-Evidence measure
(e-Evidence orders obtain or keep data; freezing property needs Regulation (EU) 2018/1805 or mutual legal
assistance), whatever an agreement's text says.
"""

from __future__ import annotations

from types import MappingProxyType

from comity.kinds import ActionKind, DataCategory, Regime

A = ActionKind

#: Measures an agreement under each regime may permit.
REGIME_MEASURES: MappingProxyType[Regime, frozenset[ActionKind]] = MappingProxyType(
    {
        # Regulation (EU) 2023/1543: European Production Orders (Art. 5) and Preservation Orders (Art. 6),
        # with the 30-day extension of Art. 11(1).
        Regime.E_EVIDENCE: frozenset({A.PRODUCTION, A.PRESERVATION, A.PRESERVATION_EXTENSION}),
        # Budapest Convention (ETS 185) Art. 29: expedited preservation of stored data (at least 60 days,
        # continuing while a request for disclosure is decided, Art. 29(7)).
        Regime.BUDAPEST_PRESERVATION: frozenset({A.PRESERVATION, A.PRESERVATION_EXTENSION}),
        # Mutual legal assistance: the requested state executes a measure under its own law, so any
        # compulsory measure may be requested; voluntary steps under a platform's terms are not MLA.
        Regime.MUTUAL_LEGAL_ASSISTANCE: frozenset(
            {
                A.PRESERVATION,
                A.PRESERVATION_EXTENSION,
                A.PRODUCTION,
                A.INFORMATION_ORDER,
                A.REMOVAL_ORDER,
                A.ACCOUNT_SUSPENSION,
                A.DOMAIN_SUSPENSION,
                A.PAYMENT_FREEZE,
            }
        ),
        # Regulation (EU) 2018/1805: freezing orders (Art. 2(1)); Comity's freezable asset is money held
        # by a payment provider or marketplace.
        Regime.FREEZING: frozenset({A.PAYMENT_FREEZE}),
        # Regulation (EU) 2022/2065 (DSA): orders to act against illegal content (Art. 9) and to provide
        # information (Art. 10).
        Regime.DSA_ORDER: frozenset({A.REMOVAL_ORDER, A.INFORMATION_ORDER}),
        # A platform's own terms: the platform decides (and owes a DSA Art. 17 statement of reasons).
        Regime.PLATFORM_TERMS: frozenset({A.ADVISORY_NOTICE, A.VOLUNTARY_REMOVAL, A.ACCOUNT_SUSPENSION}),
        # Joint investigation teams (FD 2002/465/JHA; 2000 EU MLA Convention Art. 13): members act under
        # the law of the state where the team operates, so the team's compulsory measures are available.
        Regime.JOINT_INVESTIGATION_TEAM: frozenset(
            {
                A.PRESERVATION,
                A.PRESERVATION_EXTENSION,
                A.PRODUCTION,
                A.INFORMATION_ORDER,
                A.REMOVAL_ORDER,
                A.ACCOUNT_SUSPENSION,
                A.DOMAIN_SUSPENSION,
                A.PAYMENT_FREEZE,
            }
        ),
    }
)

#: The instrument each regime rests on, shown on agreement pages.
REGIME_BASIS: MappingProxyType[Regime, str] = MappingProxyType(
    {
        Regime.E_EVIDENCE: "Regulation (EU) 2023/1543 (European Production and Preservation Orders)",
        Regime.BUDAPEST_PRESERVATION: "Council of Europe Convention on Cybercrime (ETS 185), Arts 29 and 35",
        Regime.MUTUAL_LEGAL_ASSISTANCE: "Mutual legal assistance treaty or convention between the parties",
        Regime.FREEZING: "Regulation (EU) 2018/1805 (mutual recognition of freezing and confiscation orders)",
        Regime.DSA_ORDER: "Regulation (EU) 2022/2065 (Digital Services Act), Arts 9 and 10",
        Regime.PLATFORM_TERMS: "The platform's terms of service; DSA Arts 16-17 for its own decisions",
        Regime.JOINT_INVESTIGATION_TEAM: "Framework Decision 2002/465/JHA; 2000 EU MLA Convention Art. 13",
    }
)

#: Human-readable names of the regimes.
REGIME_TITLES: MappingProxyType[Regime, str] = MappingProxyType(
    {
        Regime.E_EVIDENCE: "e-Evidence",
        Regime.BUDAPEST_PRESERVATION: "Budapest Convention preservation",
        Regime.MUTUAL_LEGAL_ASSISTANCE: "Mutual legal assistance",
        Regime.FREEZING: "Freezing orders",
        Regime.DSA_ORDER: "DSA orders",
        Regime.PLATFORM_TERMS: "Platform terms",
        Regime.JOINT_INVESTIGATION_TEAM: "Joint investigation team",
    }
)

#: e-Evidence Art. 3(9)-(12), shown beside each data category an agreement lets its parties share.
DATA_CATEGORY_MEANING: MappingProxyType[DataCategory, str] = MappingProxyType(
    {
        DataCategory.SUBSCRIBER: "Identity of the subscriber or customer, billing and payment data, type and "
        "duration of service (Reg. (EU) 2023/1543 Art. 3(9))",
        DataCategory.IDENTIFICATION: "IP addresses, source ports and time stamps requested only to identify "
        "the user (Art. 3(10))",
        DataCategory.TRAFFIC: "Source, destination, date, time, duration, size, route, protocol, location "
        "and session data (Art. 3(11))",
        DataCategory.CONTENT: "Text, images, video, sound and other stored content (Art. 3(12))",
    }
)

#: Measures that obtain or keep data: an agreement permitting any must say which data may be shared.
DATA_MEASURES: frozenset[ActionKind] = frozenset(
    {A.PRODUCTION, A.PRESERVATION, A.PRESERVATION_EXTENSION, A.INFORMATION_ORDER}
)

#: Regimes that govern measures addressed to a platform by agreement with it: a platform must be a party.
PLATFORM_REGIMES: frozenset[Regime] = frozenset({Regime.PLATFORM_TERMS})
