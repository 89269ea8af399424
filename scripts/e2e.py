#!/usr/bin/env python3
"""The journey through the deployed stack, over HTTP only: API Gateway, its JWT
authorizer, the functions, the table, the email. Standard library only, so it
runs unchanged against the local stack (scripts/stack) and against AWS after a
deploy (docs/deploy.md, "Smoke test after a deploy").

    e2e.py STACK.json

STACK.json (scripts/stack writes one) names the API, the team, the frontend
origin and, for each person, an email and an ID token:
  owner and member (members of the team: owner, member), ada and bo (verified
  accounts that are not members), eve (an account whose email is not verified);
  other_audience_token: a token from the same issuer for another app client;
  ses_messages (optional): where the emulator shows sent mail;
  platform (optional): {access_key_id, secret_access_key, session_token?,
  region}, credentials of a role allowed to call the platform's team routes,
  which the journey then checks (SigV4-signed, as the platform calls them).
ada, bo and eve must not be members of the team (the journey makes ada one).

Prints one line per check and closes with 'N passed, N failed'; exits non-zero
on any failure.
"""

import base64
import datetime
import hashlib
import hmac
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

PASSED, FAILED = [], []


def check(name, ok, detail=""):
    (PASSED if ok else FAILED).append(name)
    print(f"{'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f": {detail}"), flush=True)
    return ok


class Api:
    def __init__(self, base, origin):
        self.base = base.rstrip("/")
        self.origin = origin

    def call(self, method, path, token=None, body=None, headers=None, signed_by=None):
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if signed_by is not None:
            h.update(sigv4(method, self.base + path, data or b"", signed_by))
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, raw, resp_headers = r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            status, raw, resp_headers = e.code, e.read(), e.headers
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw.decode(errors="replace")
        return status, payload, resp_headers


def sigv4(method, url, body, creds):
    """The headers that sign a request to API Gateway (service execute-api) with
    AWS Signature Version 4, as the platform's SDK would."""
    u = urllib.parse.urlsplit(url)
    now = datetime.datetime.now(datetime.timezone.utc)
    stamp, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    payload = hashlib.sha256(body).hexdigest()
    headers = {"host": u.netloc, "x-amz-date": stamp, "x-amz-content-sha256": payload}
    if creds.get("session_token"):
        headers["x-amz-security-token"] = creds["session_token"]
    names = sorted(headers)
    query = "&".join(sorted(f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}"
                            for k, v in urllib.parse.parse_qsl(u.query, keep_blank_values=True)))
    canonical = "\n".join([method, urllib.parse.quote(u.path or "/", safe="/-_.~"), query,
                           "".join(f"{k}:{headers[k]}\n" for k in names), ";".join(names), payload])
    scope = f"{day}/{creds['region']}/execute-api/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + creds["secret_access_key"]).encode()
    for part in (day, creds["region"], "execute-api", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={creds['access_key_id']}/{scope}, "
                                f"SignedHeaders={';'.join(names)}, Signature={signature}")
    del headers["host"]
    return headers


def platform_journey(api, s, tok):
    """The platform's machine interface: refused to anyone but a signed service;
    create (idempotent), read, rename, close."""
    creds = s["platform"]
    team = f"e2e-platform-{int(datetime.datetime.now().timestamp())}"
    path = f"/platform/teams/{team}"
    new = {"name": "Platform Team", "owner": {"userId": s["users"]["owner"]["sub"], "email": s["users"]["owner"]["email"]}}
    check("platform route unsigned: 403 from the gateway", api.call("PUT", path, body=new)[0] == 403)
    check("platform route with a user's token: 403", api.call("PUT", path, tok["owner"], new)[0] == 403)
    status, body, _ = api.call("PUT", path, body=new, signed_by=creds)
    if not check("the platform creates a team: 201", status == 201 and body.get("name") == "Platform Team", f"{status} {body}"):
        return
    status, again, _ = api.call("PUT", path, body=new, signed_by=creds)
    check("creating it again changes nothing: 200", status == 200 and again == body, f"{status} {again}")
    status, body, _ = api.call("PATCH", path, body={"name": "Renamed Team"}, signed_by=creds)
    check("the platform renames it: 200", status == 200 and body["team"]["name"] == "Renamed Team", f"{status} {body}")
    status, body, _ = api.call("GET", f"/teams/{team}/members", tok["owner"])
    check("its owner sees its members", status == 200 and len(body.get("members", [])) == 1, f"{status} {body}")
    status, body, _ = api.call("DELETE", path, signed_by=creds)
    check("the platform closes it: 200, the owner's membership ended", status == 200 and body.get("membershipsEnded") == 1 and body["team"]["closedAt"], f"{status} {body}")
    check("its owner no longer sees it: 403", api.call("GET", f"/teams/{team}/members", tok["owner"])[0] == 403)


def tampered(token):
    """The same claims with one character of the signature changed."""
    head, claims, sig = token.split(".")
    flipped = ("A" if sig[5] != "A" else "B")
    return f"{head}.{claims}.{sig[:5]}{flipped}{sig[6:]}"


def forged(token):
    """A token whose claims were edited (another subject) under the original signature."""
    head, claims, sig = token.split(".")
    padded = claims + "=" * (-len(claims) % 4)
    body = json.loads(base64.urlsafe_b64decode(padded))
    body["sub"] = "someone-else"
    edited = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")
    return f"{head}.{edited}.{sig}"


def token_of(link):
    return link.split("?token=", 1)[1]


def emailed_link(url, to):
    """The link in the newest email to `to`, as the emulator recorded it."""
    with urllib.request.urlopen(url, timeout=30) as r:
        data = json.load(r)
    found = []
    for messages in (data.get("messages") or {}).values():
        for m in messages:
            if to in m.get("To", []):
                found.append(m.get("BodyText") or m.get("BodyHtml") or "")
    links = re.findall(r"https?://\S+/invitations/[0-9a-f-]+\?token=[A-Za-z0-9_-]+", found[-1]) if found else []
    return links[0] if links else None


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    s = json.load(open(sys.argv[1]))
    api = Api(s["api"], s["frontend_origin"])
    team = s["team"]
    u = s["users"]
    tok = {name: user["token"] for name, user in u.items()}
    invitations = f"/teams/{team}/invitations"

    # The gateway's authorizer, before any function runs.
    check("no token: 401 from the gateway", api.call("GET", invitations)[0] == 401)
    check("garbage token: 401", api.call("GET", invitations, token="not.a.jwt")[0] == 401)
    check("altered signature: 401", api.call("GET", invitations, token=tampered(tok["owner"]))[0] == 401)
    check("edited claims: 401", api.call("GET", invitations, token=forged(tok["owner"]))[0] == 401)
    check("another app's audience: 401", api.call("GET", invitations, token=s["other_audience_token"])[0] == 401)

    # Invite, as the owner; a member may not.
    status, inv, _ = api.call("POST", invitations, tok["owner"], {"email": u["ada"]["email"], "role": "member"})
    if not check("the owner invites ada: 201 with the link", status == 201 and "link" in (inv or {}), f"{status} {inv}"):
        return finish()
    status, body, _ = api.call("POST", invitations, tok["member"], {"email": "mallory@example.com", "role": "member"})
    check("a member may not invite: 403 forbidden", (status, (body or {}).get("code")) == (403, "forbidden"), f"{status} {body}")

    status, page, _ = api.call("GET", invitations + "?limit=50", tok["member"])
    listed = {i["id"]: i for i in (page or {}).get("invitations", [])}
    ada_listed = listed.get(inv["id"], {})
    check("the member lists it, open, without the link", status == 200 and ada_listed.get("status") == "open" and "link" not in ada_listed, f"{status} {ada_listed}")

    # The invitee's side: the link (from the email where the emulator shows it).
    link = inv["link"]
    if s.get("ses_messages"):
        emailed = emailed_link(s["ses_messages"], u["ada"]["email"])
        check("the email carries the same link", emailed is not None and token_of(emailed) == token_of(link), f"{emailed}")
        link = emailed or link
    token = token_of(link)
    inv_path = f"/invitations/{inv['id']}"
    status, preview, _ = api.call("GET", f"{inv_path}?token={token}")
    check("preview without signing in: 200", status == 200 and preview.get("teamName") == s["team_name"] and "invitedBy" not in preview, f"{status} {preview}")
    check("accept without a token: 401 from the gateway", api.call("POST", inv_path + "/accept", body={"token": token})[0] == 401)
    status, body, _ = api.call("POST", inv_path + "/accept", tok["bo"], {"token": token})
    check("another account: 403 email_mismatch", (status, (body or {}).get("code")) == (403, "email_mismatch"), f"{status} {body}")
    status, body, _ = api.call("POST", inv_path + "/accept", tok["ada"], {"token": token[:-2] + "AA"})
    check("a tampered link: 404", status == 404, f"{status} {body}")
    status, body, _ = api.call("POST", inv_path + "/accept", tok["ada"], {"token": token})
    check("ada accepts: 200, member", status == 200 and body["membership"]["role"] == "member", f"{status} {body}")
    status, body, _ = api.call("GET", invitations + "?status=accepted", tok["owner"])
    check("the list shows it accepted", any(i["id"] == inv["id"] for i in (body or {}).get("invitations", [])), f"{status} {body}")

    # The membership that acceptance made: listed, ended, and invited again.
    members = f"/teams/{s['team']}/members"
    status, body, _ = api.call("GET", members, tok["member"])
    ada_member = next((m for m in (body or {}).get("members", []) if m["email"] == u["ada"]["email"]), None)
    check("members see ada as a member", status == 200 and ada_member and ada_member["role"] == "member", f"{status} {body}")
    status, body, _ = api.call("GET", f"/teams/{s['team']}/roles", tok["admin"])
    grantable = {r["name"]: r["grantable"] for r in (body or {}).get("roles", [])}
    check("an administrator may invite administrators and members, not owners", status == 200 and grantable == {"administrator": True, "member": True, "owner": False}, f"{status} {body}")
    if ada_member:
        status, body, _ = api.call("DELETE", f"{members}/{ada_member['userId']}", tok["member"])
        check("a member may not remove one: 403", status == 403, f"{status} {body}")
        status, body, _ = api.call("DELETE", f"{members}/{ada_member['userId']}", tok["admin"])
        check("an administrator removes ada: 200", status == 200 and body.get("removedBy") == u["admin"]["sub"], f"{status} {body}")
        check("ada can no longer list: 403", api.call("GET", invitations, tok["ada"])[0] == 403)
        status, body, _ = api.call("POST", invitations, tok["owner"], {"email": u["ada"]["email"], "role": "member"})
        if check("and can be invited again at once: 201", status == 201, f"{status} {body}"):
            # Left as it was before the journey: ada neither member nor invited.
            api.call("POST", f"{invitations}/{body['id']}/withdraw", tok["owner"])
    status, body, _ = api.call("DELETE", f"{members}/{u['owner']['sub']}", tok["owner"])
    check("the last owner cannot go: 409 last_owner", (status, (body or {}).get("code")) == (409, "last_owner"), f"{status} {body}")

    # An unverified address proves nothing.
    status, eve_inv, _ = api.call("POST", invitations, tok["owner"], {"email": u["eve"]["email"], "role": "member"})
    if check("the owner invites eve: 201", status == 201, f"{status} {eve_inv}"):
        status, body, _ = api.call("POST", f"/invitations/{eve_inv['id']}/accept", tok["eve"], {"token": token_of(eve_inv["link"])})
        check("eve's unverified email: 403 email_mismatch", (status, (body or {}).get("code")) == (403, "email_mismatch"), f"{status} {body}")

    # Decline needs only the link; withdraw is a manager's.
    status, bo_inv, _ = api.call("POST", invitations, tok["owner"], {"email": u["bo"]["email"], "role": "member"})
    if check("the owner invites bo: 201", status == 201, f"{status} {bo_inv}"):
        status, body, _ = api.call("POST", f"/invitations/{bo_inv['id']}/decline", body={"token": token_of(bo_inv["link"])})
        check("decline without signing in: 200 declined", status == 200 and body["status"] == "declined" and "invitedBy" not in body, f"{status} {body}")
    if eve_inv:
        status, body, _ = api.call("POST", f"{invitations}/{eve_inv['id']}/withdraw", tok["member"])
        check("a member may not withdraw: 403", status == 403, f"{status} {body}")
        status, body, _ = api.call("POST", f"{invitations}/{eve_inv['id']}/withdraw", tok["owner"])
        check("the owner withdraws: 200", status == 200 and body["status"] == "withdrawn", f"{status} {body}")
        status, body, _ = api.call("GET", f"/invitations/{eve_inv['id']}?token={token_of(eve_inv['link'])}")
        check("the link then shows it withdrawn", status == 200 and body["status"] == "withdrawn", f"{status} {body}")

    if s.get("platform"):
        platform_journey(api, s, tok)

    # CORS: the browser's preflight, from the frontend and from elsewhere.
    pre = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}
    status, _, h = api.call("OPTIONS", invitations, headers={"Origin": s["frontend_origin"], **pre})
    allowed = h.get("Access-Control-Allow-Origin")
    check("preflight from the frontend's origin: allowed", status < 300 and allowed == s["frontend_origin"], f"{status} {allowed}")
    methods = (h.get("Access-Control-Allow-Methods") or "").upper()
    headers = (h.get("Access-Control-Allow-Headers") or "").lower()
    check("with the methods and headers the frontend needs", "POST" in methods and "GET" in methods and "DELETE" in methods and "authorization" in headers and "content-type" in headers, f"{methods} / {headers}")
    status, _, h = api.call("OPTIONS", invitations, headers={"Origin": "https://evil.example", **pre})
    check("preflight from another origin: not allowed", h.get("Access-Control-Allow-Origin") in (None, ""), f"{status} {h.get('Access-Control-Allow-Origin')}")
    return finish()


def finish():
    print(f"e2e: {len(PASSED)} passed, {len(FAILED)} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
