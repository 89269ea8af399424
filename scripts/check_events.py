#!/usr/bin/env python3
"""The event schemas (docs/events/*.schema.json) hold: each documented example
validates against its schema, and so does every event given in FILE (a JSON
list of EventBridge events, as scripts/e2e.py saves what a subscriber to the
deployed stack's bus received), or every event a subscriber to a stack's bus
received so far (its stack.json names where to read them).

    check_events.py [FILE | --stack STACK_JSON]

Exits non-zero naming each event that does not validate.
"""

import glob
import json
import os
import sys

from jsonschema import Draft202012Validator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs", "events")


def main():
    schemas = {}
    for path in sorted(glob.glob(os.path.join(DOCS, "*.schema.json"))):
        kind = os.path.basename(path)[: -len(".schema.json")]
        schema = json.load(open(path))
        Draft202012Validator.check_schema(schema)
        schemas[kind] = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    failures = []

    def validate(kind, detail, what):
        if kind not in schemas:
            failures.append(f"{what}: no schema for {kind!r}")
            return
        for e in schemas[kind].iter_errors(detail):
            failures.append(f"{what}: {'/'.join(map(str, e.path)) or '(detail)'}: {e.message}")

    examples = sorted(glob.glob(os.path.join(DOCS, "examples", "*.json")))
    if {os.path.basename(p)[:-5] for p in examples} != set(schemas):
        failures.append("docs/events/examples: one example per schema, no more")
    for path in examples:
        kind = os.path.basename(path)[:-5]
        validate(kind, json.load(open(path)), f"example {kind}")
    received = 0
    if len(sys.argv) == 3 and sys.argv[1] == "--stack":
        from e2e import received_events

        given = received_events(json.load(open(sys.argv[2]))["events_received"])
    elif len(sys.argv) == 2:
        given = json.load(open(sys.argv[1]))
    elif len(sys.argv) == 1:
        given = None
    else:
        sys.exit(__doc__)
    if given is not None:
        for i, event in enumerate(given):
            detail = event["detail"] if isinstance(event["detail"], dict) else json.loads(event["detail"])
            if event.get("source") != "team-invitations":
                failures.append(f"event {i}: source {event.get('source')!r}")
            validate(event.get("detail-type"), detail, f"event {i} ({event.get('detail-type')})")
            received += 1
    for f in failures:
        print(f"FAIL {f}")
    print(f"event schemas: {len(examples)} examples" + (f", {received} received events" if given is not None else "")
          + (" valid" if not failures else f": {len(failures)} failures"))
    if given is not None and not given:
        print("FAIL no received event to check")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
