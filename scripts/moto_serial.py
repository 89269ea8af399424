"""moto's server, handling one request at a time.

moto applies a DynamoDB transaction's writes in place and, when a condition fails,
rolls back by restoring a snapshot of the whole table taken when the transaction
began. Two transactions running at once in its threaded server can therefore undo
each other's committed writes, which DynamoDB never does. Serialising requests
gives the emulator the atomicity the service relies on (and the race tests check),
while connections are still accepted concurrently.

moto records every model instance it ever creates, for its dashboard and
/moto-api/data.json; that includes each DynamoDB item of the whole-table copy a
transaction takes, so the list (and every read of data.json, which is how the
tests see sent emails) grows with every transaction of a run. Here only SES
messages are recorded: the one model anything reads.

usage: python moto_serial.py HOST PORT

moto also backs the table up before a transaction once per *item* of it (each
time a deep copy of the whole table, the last one kept): a close's or an
invite's transaction of 6 to 10 items copied a large table as many times, and
timed out (8 s) on the local stand-in. Here each table is copied once per
transaction, which is the backup moto keeps anyway (moto 5.2.5, pinned).

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


def track_only_sent_emails() -> None:
    from moto.core.common_models import BaseModel

    def new(cls, *args, **kwargs):
        instance = object.__new__(cls)
        if cls.__module__ in ("moto.ses.models", "moto.sesv2.models"):
            cls.instances_tracked.append(instance)
        return instance

    BaseModel.__new__ = staticmethod(new)


def copy_each_table_once_per_transaction() -> None:
    import copy

    import moto.dynamodb.models as models

    class OncePerTable:
        """`copy` as the module sees it during one transaction: a second deep
        copy of one table is the first."""

        def __init__(self) -> None:
            self.copies: dict[int, object] = {}

        def deepcopy(self, obj, memo=None):
            if id(obj) not in self.copies:
                self.copies[id(obj)] = copy.deepcopy(obj, memo)
            return self.copies[id(obj)]

        def __getattr__(self, name):
            return getattr(copy, name)

    transact = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        # Requests are served one at a time (below), so the swap is never seen
        # by another request.
        models.copy = OncePerTable()
        try:
            return transact(self, transact_items)
        finally:
            models.copy = copy

    models.DynamoDBBackend.transact_write_items = transact_write_items


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    if os.environ.get("MOTO_NO_GC") == "1":
        gc.disable()
    os.environ.setdefault("MOTO_PORT", str(port))
    track_only_sent_emails()
    copy_each_table_once_per_transaction()
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
