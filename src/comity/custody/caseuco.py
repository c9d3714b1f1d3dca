"""CASE/UCO JSON-LD export of a case's evidence and chain of custody (validated with ``case_validate``).

Built from the signed envelopes (not from mutable rows), so the export says what was signed:

- the case is a ``case-investigation:Investigation`` whose ``uco-core:object`` lists every action, with one
  ``case-investigation:Authorization`` per legal authority cited at collection;
- each evidence item is a ``uco-observable:File`` with a ``ContentDataFacet`` carrying its size, media type
  and ``uco-types:Hash`` (SHA256);
- each custody event is one ``case-investigation:InvestigativeAction`` (name = the action) with its
  performer (a ``uco-identity:Person`` named by user id, or the node as ``uco-identity:Organization``), the
  signing tool as instrument, start and end times, and a ``case-investigation:ProvenanceRecord`` as result;
  following CASE practice, each action takes the previous record as input and is ``wasInformedBy`` the
  previous action. Exhibit numbers are ``<evidence id>/<seq>``, rooted at the ``collected`` record.

No personal data is exported (no names, sources or file names); the envelope hash of each event is in the
action's description so the export can be tied back to the signed record and the log.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from comity import __version__
from comity.custody.payload import CustodyPayload, envelope_digest
from comity.signing.envelope import Envelope
from comity.signing.payload import format_time

#: A fixed namespace so the same case exports to the same IRIs every time.
_NAMESPACE = uuid.UUID("6f1d3c52-5a0b-4c47-9f0e-5d0c6a8b9e21")

CONTEXT = {
    "kb": "http://example.org/kb/",
    "case-investigation": "https://ontology.caseontology.org/case/investigation/",
    "uco-action": "https://ontology.unifiedcyberontology.org/uco/action/",
    "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
    "uco-identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
    "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
    "uco-tool": "https://ontology.unifiedcyberontology.org/uco/tool/",
    "uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


def _iri(kind: str, *parts: str) -> str:
    return f"kb:{kind}-{uuid.uuid5(_NAMESPACE, '/'.join((kind, *parts)))}"


def _ref(iri: str) -> dict[str, str]:
    return {"@id": iri}


def _time(value: datetime) -> dict[str, str]:
    return {"@type": "xsd:dateTime", "@value": format_time(value)}


def case_document(case_id: str, chains: Sequence[Sequence[bytes]]) -> dict[str, Any]:
    """The CASE/UCO JSON-LD document of ``case_id``; ``chains`` holds each item's envelopes, in order.

    Raises ``VerificationError`` if an envelope or its payload is malformed (the export never guesses).
    """
    graph: list[dict[str, Any]] = []
    tool = _iri("tool", "comity", __version__)
    graph.append(
        {
            "@id": tool,
            "@type": "uco-tool:Tool",
            "uco-core:name": "Comity custody signing",
            "uco-tool:version": __version__,
        }
    )
    performers: dict[str, str] = {}
    authorities: dict[str, str] = {}
    actions: list[str] = []
    for envelopes in chains:
        previous_action: str | None = None
        previous_record: str | None = None
        root_exhibit: str | None = None
        file_iri = ""
        for raw in envelopes:
            payload = CustodyPayload.from_payload(Envelope.from_json(raw).payload)
            if payload.seq == 1:
                file_iri = _file(graph, payload)
                root_exhibit = f"{payload.evidence}/1"
                if payload.facts is not None and payload.facts.legal_authority not in authorities:
                    authorities[payload.facts.legal_authority] = _authority(
                        graph, payload.facts.legal_authority
                    )
            performer = performers.get(payload.actor)
            if performer is None:
                performer = performers[payload.actor] = _performer(graph, payload)
            record = _iri("provenance-record", payload.event)
            graph.append(
                {
                    "@id": record,
                    "@type": "case-investigation:ProvenanceRecord",
                    "case-investigation:exhibitNumber": f"{payload.evidence}/{payload.seq}",
                    "case-investigation:rootExhibitNumber": root_exhibit or f"{payload.evidence}/1",
                    "uco-core:object": [_ref(file_iri)],
                }
            )
            action = _iri("action", payload.event)
            node: dict[str, Any] = {
                "@id": action,
                "@type": "case-investigation:InvestigativeAction",
                "uco-core:name": payload.action.value,
                "uco-core:description": [
                    f"custody event {payload.event} #{payload.seq} of evidence {payload.evidence}; "
                    f"envelope sha256 {envelope_digest(raw)}"
                ],
                "uco-action:startTime": _time(payload.started_at or payload.occurred_at),
                "uco-action:endTime": _time(payload.ended_at or payload.occurred_at),
                "uco-action:performer": _ref(performer),
                "uco-action:instrument": [_ref(tool)],
                "uco-action:result": [_ref(record)],
            }
            if previous_record is None:
                node["uco-action:result"].insert(0, _ref(file_iri))
            else:
                node["uco-action:object"] = [_ref(previous_record)]
            if previous_action is not None:
                node["case-investigation:wasInformedBy"] = [_ref(previous_action)]
            graph.append(node)
            actions.append(action)
            previous_action, previous_record = action, record
    investigation: dict[str, Any] = {
        "@id": _iri("investigation", case_id),
        "@type": "case-investigation:Investigation",
        "uco-core:name": case_id,
        "uco-core:object": [_ref(a) for a in actions],
    }
    if authorities:
        investigation["case-investigation:relevantAuthorization"] = [_ref(a) for a in authorities.values()]
    graph.insert(0, investigation)
    return {"@context": CONTEXT, "@graph": graph}


def _file(graph: list[dict[str, Any]], payload: CustodyPayload) -> str:
    file_iri = _iri("file", payload.evidence)
    facet: dict[str, Any] = {
        "@id": _iri("content-data-facet", payload.evidence),
        "@type": "uco-observable:ContentDataFacet",
        "uco-observable:sizeInBytes": payload.size,
        "uco-observable:hash": [
            {
                "@id": _iri("hash", "SHA256", payload.sha256),
                "@type": "uco-types:Hash",
                "uco-types:hashMethod": "SHA256",
                "uco-types:hashValue": {"@type": "xsd:hexBinary", "@value": payload.sha256},
            }
        ],
    }
    if payload.facts is not None:
        facet["uco-observable:mimeType"] = payload.facts.media_type
    graph.append(
        {
            "@id": file_iri,
            "@type": "uco-observable:File",
            "uco-core:name": f"evidence {payload.evidence}",
            "uco-core:hasFacet": [facet],
        }
    )
    return file_iri


def _authority(graph: list[dict[str, Any]], legal_authority: str) -> str:
    iri = _iri("authorization", legal_authority)
    graph.append(
        {
            "@id": iri,
            "@type": "case-investigation:Authorization",
            "case-investigation:authorizationType": "legal authority",
            "case-investigation:authorizationIdentifier": legal_authority,
        }
    )
    return iri


def _performer(graph: list[dict[str, Any]], payload: CustodyPayload) -> str:
    if payload.is_node_action:
        iri = _iri("organization", payload.actor)
        graph.append(
            {"@id": iri, "@type": "uco-identity:Organization", "uco-core:name": f"Comity {payload.actor}"}
        )
    else:
        iri = _iri("person", payload.actor)
        graph.append(
            {"@id": iri, "@type": "uco-identity:Person", "uco-core:name": f"officer {payload.actor}"}
        )
    return iri
