"""Stopping the tests' local HTTP servers without ever hanging the suite."""

from __future__ import annotations

import logging
import threading

log = logging.getLogger("tests.servers")


def stop(server, seconds: float = 3.0) -> None:
    """shutdown() waits for serve_forever to notice; if it never does (its loop is stuck),
    give up after `seconds`, close the socket anyway and say so."""
    stopper = threading.Thread(target=server.shutdown, daemon=True)
    stopper.start()
    stopper.join(seconds)
    if stopper.is_alive():
        log.warning("test server did not stop within %s s; closing its socket", seconds)
    server.server_close()
