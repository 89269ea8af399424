"""schemathesis hooks, for every run (through the deployed stack's API Gateway,
scripts/stack, and through the local stand-in, scripts/smoke): they sign each
request as its caller would and steer generated requests to where the handlers'
logic is, without making an invalid request valid or a valid one invalid.

The run acts on a team of its own: FUZZ_SUITE names the file scripts/suite.py
wrote (`create contract --pool N`), with the team, its people's tokens and a pool
of open invitations: some to resend (made before the resend cooldown, which
`suite.py settle` waits out), some to preview and decline with their link, and
one to ada, as whom accepts are signed; and two invite links, one to revoke,
one to open and join through (joins are signed as the suite's joiner); and
join requests through a link that needs approval: one to approve, one to deny,
and the joiner's, to cancel (cancels are signed as the joiner); the team's
verified domain, by which its colleague joins (signed as the colleague); and
requests to accept an invitation as another address, one to approve and one
to refuse.
"""

import collections
import itertools
import json
import os
import re

import schemathesis

from suite import sigv4

with open(os.environ["FUZZ_SUITE"]) as _f:
    SUITE = json.load(_f)
_POOL = SUITE.get("pool") or {"invitations": [], "for_ada": None}
_HALF = len(_POOL["invitations"]) // 2
_TO_RESEND = itertools.cycle(_POOL["invitations"][:_HALF] or [None])
_TO_ANSWER = itertools.cycle(_POOL["invitations"][_HALF:] or [None])

_TEAM = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CURSOR = re.compile(r"[A-Za-z0-9_-]*")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_USER = re.compile(r"[^\s#\x00-\x1f\x7f-\x9f]{1,256}")
_DOMAIN = re.compile(r"([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
# Domains the platform's domain routes declare and remove on its own team, in
# turn: an email domain is dotted labels, which the path's pattern only hints at.
_DOMAINS = itertools.cycle([f"d{i}.{SUITE['team']}.test" for i in range(3)])
# Members the run may remove (DELETE /teams/{teamId}/members/{userId}), in
# turn: the suite's plain member and its administrator (once removed, 404).
_REMOVABLE = itertools.cycle([SUITE["users"]["member"]["sub"], SUITE["users"]["admin"]["sub"]])


def _valid_team(value):
    return isinstance(value, str) and _TEAM.fullmatch(value) is not None


def _valid_token(value):
    return isinstance(value, str) and 1 <= len(value) <= 512


_EVERY_OTHER = collections.defaultdict(itertools.count)


def _every_other(case):
    """True for every other request of an operation: the others keep what was generated."""
    return next(_EVERY_OTHER[case.operation.label]) % 2 == 0


def _pooled(case):
    """The pool invitation a schema-valid request on an invitation acts on, if
    any: for every other one, an invitation to resend (resend, history), one to
    answer with its link's token (preview, decline, and asking to accept it as
    another address, signed as the owner), or ada's (accept)."""
    path = case.operation.path
    params = case.path_parameters or {}
    if not (isinstance(params.get("invitationId"), str) and _UUID.fullmatch(params["invitationId"])):
        return None
    if path.endswith("/resend") or path.endswith("/history"):
        return next(_TO_RESEND) if _every_other(case) else None
    if path == "/invitations/{invitationId}" or path.endswith("/decline") or path.endswith("/accept-requests"):
        return next(_TO_ANSWER) if _every_other(case) else None
    if path.endswith("/accept"):
        return _POOL["for_ada"] if _every_other(case) else None
    return None


def _pooled_link(case):
    """The pool invite link a schema-valid request on a link acts on, for every
    other one: the one to revoke (revoke), or the one to open and join through."""
    params = case.path_parameters or {}
    if not (isinstance(params.get("linkId"), str) and _UUID.fullmatch(params["linkId"])):
        return None
    if not _every_other(case):
        return None
    return _POOL.get("revoke_link" if case.operation.path.endswith("/revoke") else "join_link")


def _platform_team(case):
    """The suite's teams for the platform's routes: one to close (suite.py made
    it), one for the others to create, read and rename."""
    return f"{SUITE['team']}-closing" if case.method.upper() == "DELETE" else f"{SUITE['team']}-platform"


@schemathesis.hook
def map_case(ctx, case):
    params = case.path_parameters or {}
    team = params.get("teamId")
    platform = case.operation.path.startswith("/platform/")
    pooled = _pooled(case)
    pooled_link = _pooled_link(case)
    user = params.get("userId")
    requests = _POOL.get("requests")
    if "/join-requests/{userId}/" in case.operation.path and requests:
        # A join request: every other schema-valid one is the pool's request
        # to approve (bo's) or deny (the asker's), in the suite's team.
        if isinstance(user, str) and _USER.fullmatch(user) and _valid_team(team) and _every_other(case):
            which = "approve" if case.operation.path.endswith("/approve") else "deny"
            params["teamId"], params["userId"] = SUITE["team"], requests[which]
    elif "/accept-requests/{invitationId}/" in case.operation.path and _POOL.get("accept_requests"):
        # A request to accept as another address: every other schema-valid one
        # is the pool's to approve or refuse, in the suite's team.
        invitation = params.get("invitationId")
        valid = isinstance(invitation, str) and _UUID.fullmatch(invitation)
        if valid and _valid_team(team) and _every_other(case):
            which = "approve" if case.operation.path.endswith("/approve") else "refuse"
            params["teamId"], params["invitationId"] = SUITE["team"], _POOL["accept_requests"][which]
    elif case.operation.path == "/me/join-requests/{teamId}/cancel":
        # Cancelling: every other schema-valid one is the joiner's request in
        # the suite's team (signed as the joiner).
        if _valid_team(team) and _every_other(case):
            params["teamId"] = SUITE["team"]
    elif platform and isinstance(user, str) and _USER.fullmatch(user) and _valid_team(team):
        # Naming an owner: a schema-valid request names the platform team's
        # owner, with their address (an owner stays one: 200); a made-up user
        # would need a real address, which no schema can state.
        params["teamId"], params["userId"] = _platform_team(case), SUITE["users"]["owner"]["sub"]
        email = case.body.get("email") if isinstance(case.body, dict) else None
        if isinstance(email, str) and len(email) <= 254:  # a longer one is a negative case: kept
            case.body["email"] = SUITE["users"]["owner"]["email"]
    elif isinstance(user, str) and _USER.fullmatch(user) and _valid_team(team) and _every_other(case):
        params["teamId"], params["userId"] = SUITE["team"], next(_REMOVABLE)
    elif pooled is not None:
        params["invitationId"] = pooled["id"]
        if _valid_team(team):
            params["teamId"] = SUITE["team"]
        token = pooled.get("token")
        if token and isinstance(case.headers, dict) and _valid_token(case.headers.get("Invitation-Token")):
            case.headers["Invitation-Token"] = token
        if token and isinstance(case.query, dict) and _valid_token(case.query.get("token")):
            case.query["token"] = token
        if token and isinstance(case.body, dict) and _valid_token(case.body.get("token")):
            case.body["token"] = token
    elif pooled_link is not None:
        params["linkId"] = pooled_link["id"]
        if _valid_team(team):
            params["teamId"] = SUITE["team"]
        token = pooled_link["token"]
        if isinstance(case.headers, dict) and _valid_token(case.headers.get("Invite-Link-Token")):
            case.headers["Invite-Link-Token"] = token
        if isinstance(case.body, dict) and _valid_token(case.body.get("token")):
            case.body["token"] = token
    elif _valid_team(team) and len(team) % 2 == 0:
        # Half the valid team ids become the suite's team, whose owner the run
        # is signed in as, so that successes (201, 200) are generated and their
        # bodies checked against the schema too. The platform's routes get a
        # team of their own: closing the suite's team would turn every later
        # invitation into 409 team_closed.
        params["teamId"] = _platform_team(case) if platform else SUITE["team"]
    domain = params.get("domain")
    if case.operation.path == "/platform/teams/{teamId}/domains/{domain}" and isinstance(domain, str) and _DOMAIN.fullmatch(domain):
        # Every other schema-valid domain becomes one the platform team
        # declares and removes in turn (the others stay as generated).
        if _every_other(case):
            params["domain"] = next(_DOMAINS)
    if platform and params.get("teamId") == SUITE["team"]:
        # schemathesis reuses values it saw in answers: never the suite's own
        # team on the platform's routes, where it could close it.
        params["teamId"] = _platform_team(case)
    case.path_parameters = params

    # A new invite link: a role is a name of the team's catalog, which no
    # schema states; every other schema-valid one becomes "member" (and its
    # domains, made-up strings, none: only a list of strings, which the schema
    # allows; a list with something else is a negative case, kept), so that
    # links are made and answered.
    body = case.body if isinstance(case.body, dict) else None
    if (case.operation.path == "/teams/{teamId}/invite-links" and case.method.upper() == "POST"
            and body is not None and isinstance(body.get("role"), str) and _every_other(case)):
        body["role"] = "member"
        domains = body.get("domains")
        if isinstance(domains, list) and all(isinstance(d, str) for d in domains) and len(domains) <= 20:
            body["domains"] = []

    # A cursor is opaque and signed to its team: a made-up one is a 400 that no
    # schema can state. Three in four made-up cursors the schema allows are
    # left out (the first page), so that most listings reach the query; the
    # fourth still checks the 400. Invalid ones are negative cases: kept.
    cursor = case.query.get("cursor") if isinstance(case.query, dict) else None
    if isinstance(cursor, str) and cursor and _CURSOR.fullmatch(cursor) and len(cursor) % 4 != 0:
        del case.query["cursor"]
    return case


@schemathesis.auth(refresh_interval=None, retry_on=[])
class Credentials:
    """How each request is signed, as its route's caller signs it: the
    platform's IAM-authorised routes with SigV4, as the platform's SDK signs
    them; accepts as ada (invited to the pool's invitation for her); every other
    route as the suite team's owner, but joins through a link and cancels of a
    join request, as the suite's joiner, and joins by a domain (and the teams a
    domain lets one join), as the suite's colleague. As an auth provider, it is the run's
    explicit authentication: the authentication checks remove it and expect a
    refusal."""

    def get(self, case, ctx):
        users = SUITE["users"]
        return {"owner": users["owner"]["token"], "ada": users["ada"]["token"],
                "joiner": users["joiner"]["token"], "colleague": users["colleague"]["token"],
                "platform": SUITE["platform"]}

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
            path = case.operation.path
            joiner = path.endswith("/join") or path == "/me/join-requests/{teamId}/cancel"
            if path.startswith("/me/joinable-teams"):
                who = "colleague"
            else:
                who = "ada" if path.endswith("/accept") else "joiner" if joiner else "owner"
            headers["Authorization"] = f"Bearer {data[who]}"
        case.headers = headers
