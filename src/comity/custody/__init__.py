"""The evidence vault and chain of custody (capability C7).

- :mod:`comity.custody.store`: the content-addressed store (``EvidenceStore``, ``FolderStore``).
- :mod:`comity.custody.service`: collect, read (audited), record custody acts, destroy.
- :mod:`comity.custody.states`: the custody state machine; :mod:`comity.custody.payload`: signed payloads.
- :mod:`comity.custody.holds`: legal holds and hold sources; :mod:`comity.custody.retention`: purges.
- :mod:`comity.custody.bundle`: bundle and CASE/UCO exports; :mod:`comity.custody.bundle_verify`: the
  offline verifier (no database, no network).
"""
