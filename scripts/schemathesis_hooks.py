"""schemathesis hooks, for every run (through the deployed stack's API Gateway,
scripts/stack, and through the local stand-in, scripts/smoke): they steer the
generated requests to where the handlers' logic is, without making an invalid
request valid or a valid one invalid.
"""

import json
import os
import re

import schemathesis

from e2e import sigv4

_TEAM = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CURSOR = re.compile(r"[A-Za-z0-9_-]*")


@schemathesis.hook
def map_path_parameters(ctx, path_parameters):
    # Half the generated team ids become the seeded demo team, whose owner the
    # run is signed in as, so that successes (201, 200) are generated and their
    # bodies checked against the schema too.
    # Only a team id the schema allows: an invalid one belongs to a negative case,
    # which must stay invalid to be refused.
    # The platform's routes get a team of their own instead: closing the demo
    # team would turn every later invitation into 409 team_closed.
    team = (path_parameters or {}).get("teamId")
    if isinstance(team, str) and _TEAM.fullmatch(team) and len(team) % 2 == 0:
        platform = ctx.operation is not None and ctx.operation.path.startswith("/platform/")
        path_parameters["teamId"] = "fuzz-platform" if platform else "demo"
    return path_parameters


@schemathesis.hook
def map_query(ctx, query):
    # A cursor is opaque and signed to its team: a made-up one is a 400 that no
    # schema can state. Three in four made-up cursors the schema allows are
    # left out (the first page), so that most listings reach the query; the
    # fourth still checks the 400. Invalid ones are negative cases: kept.
    cursor = (query or {}).get("cursor")
    if isinstance(cursor, str) and cursor and _CURSOR.fullmatch(cursor) and len(cursor) % 4 != 0:
        del query["cursor"]
    return query


def _platform_credentials():
    """The key the platform signs with: the deployed stack's (scripts/stack
    passes its description in PLATFORM_STACK_JSON), or, for the local stand-in
    (a `dev` build that takes any SigV4 header, unverified), a placeholder."""
    path = os.environ.get("PLATFORM_STACK_JSON")
    if path:
        with open(path) as f:
            return json.load(f)["platform"]
    return {"access_key_id": "local-platform", "secret_access_key": "local", "region": "us-east-1"}


@schemathesis.auth(refresh_interval=None, retry_on=[])
class Credentials:
    """How each request is signed, as its route's caller signs it: the
    platform's IAM-authorised routes with SigV4, as the platform's SDK signs
    them; every other route with the signed-in user's bearer token
    (FUZZ_BEARER_TOKEN). As an auth provider, it is the run's explicit
    authentication: the authentication checks remove it and expect a refusal."""

    def get(self, case, ctx):
        return {"bearer": os.environ["FUZZ_BEARER_TOKEN"], "platform": _platform_credentials()}

    def set(self, case, data, ctx):
        headers = dict(case.headers or {})
        if case.operation.path.startswith("/platform/"):
            body = case.body
            if isinstance(body, (bytes, bytearray)):
                payload = bytes(body)
            elif body is None or type(body).__name__ == "NotSet":
                payload = b""
            else:
                payload = json.dumps(body).encode()
            base = case.operation.base_url or case.operation.schema.get_base_url()
            url = base.rstrip("/") + case.formatted_path
            headers.update(sigv4(case.method.upper(), url, payload, data["platform"]))
        else:
            headers["Authorization"] = f"Bearer {data['bearer']}"
        case.headers = headers
