"""The witness's HTTP service: ``POST /add-checkpoint`` (C2SP tlog-witness), ``/vkey``, ``/healthz``."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse

from comity.witness.config import WitnessConfig, load_key
from comity.witness.core import Witness, WitnessState

#: A checkpoint, 63 proof lines and 100 signatures fit well under this.
MAX_BODY = 64 * 1024


def build_witness(config: WitnessConfig) -> Witness:
    """The witness a configuration describes (reads its key file, opens its state file)."""
    return Witness(
        key=load_key(config.key_file, name=config.name),
        logs=config.logs,
        state=WitnessState(config.state_file),
    )


def create_witness_app(witness: Witness) -> FastAPI:
    """The HTTP app of one witness (plain text in and out, as the protocol says; no OpenAPI)."""
    app = FastAPI(title="Comity witness", openapi_url=None, docs_url=None, redoc_url=None)

    @app.post("/add-checkpoint")
    async def add_checkpoint(request: Request) -> Response:
        """C2SP tlog-witness add-checkpoint."""
        body = await request.body()
        if len(body) > MAX_BODY:
            return PlainTextResponse("request too large\n", status_code=413)
        # The state update does blocking file I/O under a lock: keep it off the event loop.
        answer = await run_in_threadpool(witness.add_checkpoint, body)
        # The exact media type the protocol names: no charset parameter appended (text/x.tlog.size).
        return Response(answer.body, status_code=answer.status, headers={"content-type": answer.media_type})

    @app.get("/vkey")
    async def vkey() -> Response:
        """The witness's cosignature vkey."""
        return PlainTextResponse(witness.key.verifier.vkey + "\n")

    @app.get("/healthz")
    async def healthz() -> Response:
        """Liveness."""
        return PlainTextResponse("ok\n")

    return app
