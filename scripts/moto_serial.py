"""moto's server, handling one request at a time.

moto applies a DynamoDB transaction's writes in place and, when a condition fails,
rolls back by restoring a snapshot of the whole table taken when the transaction
began. Two transactions running at once in its threaded server can therefore undo
each other's committed writes, which DynamoDB never does. Serialising requests
gives the emulator the atomicity the service relies on (and the race tests check),
while connections are still accepted concurrently.

usage: python moto_serial.py HOST PORT

With MOTO_NO_GC=1 Python's cyclic garbage collector is off: with 100,000+ items
held as Python objects its pauses, not the query, dominate every request
(scripts/bench sets it for the scale table's moto).
"""

import gc
import os
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    if os.environ.get("MOTO_NO_GC") == "1":
        gc.disable()
    os.environ.setdefault("MOTO_PORT", str(port))
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def serialised(environ, start_response):
        with lock:
            result = app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close:
                    close()
        return [body]

    run_simple(host, port, serialised, threaded=True)


if __name__ == "__main__":
    main()
