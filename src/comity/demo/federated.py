"""The federated demo: three real nodes on loopback, one cross-border request end to end between them.

``comity demo --federated`` sets up three jurisdictions' nodes, IE, DE and FR, each with its own home,
keystore and database (a SQLite file, or a fresh PostgreSQL database per node under
``--database-url-base``), its own anchor and node keys, the bundled agreements (``eev-eu5`` between IE,
DE, FR, NL and ES) and its own users. Each node's trust store is exported and imported by the two others
(the deliberate, audited import ``comity federation trust import`` makes), each names the two others as
peers, and each gets a node config file. FR also runs a C2SP tlog-witness (``comity witness serve``) that
IE's and DE's logs send their checkpoints to (``[[witnesses]]`` in their config files).

Then it starts four real processes, ``comity serve --config FILE --worker`` per node and the witness,
and drives the story over HTTP with the users' bearer tokens:

1. the shared pseudonym key of ``eev-eu5`` reaches every party from its steward (DE);
2. IE's officer opens a case (offence, seller account), drafts a production request to DE, a judge
   validates it, the officer transmits it;
3. DE's mirror of the request appears (same request and case ids); DE's officer accepts it;
4. the evidence (the German marketplace's answer) is uploaded for the request's case on DE and sealed;
   the request is marked delivered; the evidence is transferred to IE;
5. IE's request shows the delivered status and IE holds the received evidence item;
6. every outbox is drained and every received message handled;
7. IE's and DE's latest log checkpoints carry the witness's cosignature;
8. the processes stop and each node's database is counted (messages sent, delivered, receipts,
   received, handled, failures).

A stage that does not complete in time stops the demo with the stage's name (exit 1); the processes are
always stopped. Demo jurisdictions, agreements and people are illustrative.
"""

from __future__ import annotations

import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from comity.demo.federated_figures import node_figures
from comity.demo.federated_processes import (
    FederatedDemoError,
    Processes,
    StageTimeout,
    healthy,
    start_process,
    wait_for,
)
from comity.demo.federated_setup import (
    CODES,
    WITNESS_NODE,
    DemoNode,
    Witness,
    apply_configs,
    free_port,
    node_databases,
    set_up_node,
    write_node_config,
    write_witness_config,
)
from comity.demo.federated_story import Run, drive_story

__all__ = ["FederatedDemoError", "Options", "StageTimeout", "run"]

# -- the whole run ------------------------------------------------------------------------------------


@contextmanager
def _terminated_as_exit() -> Iterator[None]:
    """SIGTERM ends the demo as Ctrl-C does: through the clean-up that stops the node processes (and, while
    the nodes are kept running, with the summary)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _exit(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@dataclass
class Options:
    home: Path | None = None
    database_url_base: str | None = None
    #: Keep the PostgreSQL databases after the run (default: only when ``home`` is given).
    keep_databases: bool | None = None
    timeout: float = 90.0
    worker_interval: float = 0.3
    keep_running: bool = False
    on_ready: Callable[[dict[str, Any]], None] | None = None


def run(options: Options) -> dict[str, Any]:
    """Set up the three nodes and the witness, run them, drive the story, stop them; return the summary."""
    run_log = Run()
    temporary = options.home is None
    root = Path(tempfile.mkdtemp(prefix="comity-federated-")) if options.home is None else options.home
    if not temporary:
        if root.exists() and any(root.iterdir()):
            raise FederatedDemoError("setup", f"{root} is not empty: the federated demo sets up new nodes")
        root.mkdir(parents=True, exist_ok=True)
    keep_logs = False
    try:
        with ExitStack() as stack:
            stack.enter_context(_terminated_as_exit())
            keep = not temporary if options.keep_databases is None else options.keep_databases
            databases = stack.enter_context(node_databases(options.database_url_base, root, keep=keep))
            (root / "logs").mkdir(exist_ok=True)
            nodes = {
                code: DemoNode(
                    code=code,
                    home=root / code.lower(),
                    port=free_port(),
                    database_url=databases[code],
                    config_path=root / f"{code.lower()}.toml",
                    log_path=root / "logs" / f"{code.lower()}.log",
                )
                for code in CODES
            }
            witness = Witness(
                port=free_port(),
                config_path=root / WITNESS_NODE.lower() / "witness" / "witness.toml",
                log_path=root / "logs" / "witness.log",
            )
            vkeys = {code: set_up_node(node) for code, node in nodes.items()}
            write_witness_config(witness, nodes[WITNESS_NODE].home, vkeys)
            for node in nodes.values():
                write_node_config(node, nodes, witness, options.worker_interval)
            applied = apply_configs(nodes)
            run_log.done(
                "setup",
                "three nodes, each its own home, keystore, database, keys and users; trust stores exchanged, "
                "peers recorded; FR's witness configured for IE's and DE's logs",
                trust_imported={c: d["trust_imported"] for c, d in applied.items()},
                peers={c: d["peers"] for c, d in applied.items()},
            )

            processes = Processes()
            stack.callback(processes.stop_all)
            witness.process = start_process(
                ["witness", "serve", "--config", str(witness.config_path)], witness.log_path
            )
            processes.add("witness", witness.process, witness.log_path)
            for node in nodes.values():
                node.process = start_process(
                    ["serve", "--config", str(node.config_path), "--port", str(node.port), "--worker"],
                    node.log_path,
                )
                processes.add(f"{node.code} node", node.process, node.log_path)
            for name, url in [("witness", witness.url), *((n.code, n.url) for n in nodes.values())]:
                wait_for(
                    processes,
                    "start",
                    f"{name} at {url} to answer /healthz",
                    partial(healthy, url),
                    options.timeout,
                )
            run_log.done(
                "start",
                "four processes: `comity serve --config FILE --worker` per node, and `comity witness serve`",
                urls={**{c: n.url for c, n in nodes.items()}, "witness": witness.url},
            )

            story = drive_story(nodes, processes, run_log, options.timeout)

            if options.keep_running and options.on_ready is not None:
                options.on_ready(
                    {
                        "urls": {**{c: n.url for c, n in nodes.items()}, "witness": witness.url},
                        "tokens": {c: n.tokens for c, n in nodes.items()},
                        "home": str(root),
                    }
                )
                try:
                    while True:
                        processes.check("serve")
                        time.sleep(0.5)
                except KeyboardInterrupt:
                    pass
            processes.stop_all()
            figures = {code: node_figures(node) for code, node in nodes.items()}
    except FederatedDemoError as exc:
        # The nodes' logs say why; they are kept (the temporary folder too) for the operator to read.
        keep_logs = True
        raise type(exc)(exc.stage, f"{exc.reason} (node logs kept in {root / 'logs'})") from None
    finally:
        if temporary and not keep_logs:
            shutil.rmtree(root, ignore_errors=True)
    totals = {
        key: sum(f[key] for f in figures.values())
        for key in ("messages_sent", "delivered", "receipts", "received", "handled")
    }
    failures = sum(f["failed"] + f["handling_failed"] for f in figures.values())
    return {
        **totals,
        "failures": failures,
        "nodes": figures,
        **story,
        "ids": run_log.ids,
        "stages": run_log.stages,
        "home": None if temporary else str(root),
        "databases": "postgresql" if options.database_url_base else "sqlite",
        "wall_seconds": round(time.monotonic() - run_log.started, 3),
    }
