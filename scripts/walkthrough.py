"""The walkthrough scripts/dev prints, run against a live local API, checking every answer.

usage:
  python scripts/walkthrough.py API_URL        run it (needs AWS_ENDPOINT_URL for moto)
  python scripts/walkthrough.py --token SUB EMAIL
                                               print an unsigned bearer token

Only the standard library, so it runs with any python3.
"""

import base64
import json
import os
import sys
import urllib.error
import urllib.request
import uuid


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def token(sub: str, email: str) -> str:
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = b64url(json.dumps({"sub": sub, "email": email, "email_verified": True}).encode())
    return f"{header}.{payload}."


class Api:
    def __init__(self, base: str):
        self.base = base.rstrip("/")

    def call(self, method, path, who=None, body=None):
        headers = {}
        data = None
        if who:
            headers["Authorization"] = f"Bearer {token(*who)}"
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        return status, json.loads(raw) if raw else None


FAILURES = []


def check(what, got, body, want, **fields):
    body = body or {}
    ok = got == want and all(body.get(k) == v for k, v in fields.items())
    mark = "ok  " if ok else "FAIL"
    print(f"[{mark}] {what}: {got} {json.dumps(body)[:160]}")
    if not ok:
        FAILURES.append(f"{what}: expected {want} {fields}, got {got} {body}")
    return body


def sent_email_link(to: str) -> str:
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=30) as resp:
        data = json.load(resp)
    for message in reversed(data.get("ses", {}).get("Message", [])):
        if to in message["destinations"].get("ToAddresses", []):
            html = message["body"]
            start = html.index('href="') + len('href="')
            return html[start : html.index('"', start)].replace("&amp;", "&")
    raise SystemExit(f"no email was sent to {to}")


def run(api: Api) -> None:
    run_id = uuid.uuid4().hex[:6]
    owner = ("demo-owner", "owner@example.com")
    member = ("demo-member", "member@example.com")
    ada = (f"ada-{run_id}", f"ada+{run_id}@example.com")
    mallory = (f"mallory-{run_id}", f"mallory+{run_id}@example.com")

    s, b = api.call("POST", "/teams/demo/invitations", owner, {"email": ada[1], "role": "member"})
    inv = check("owner invites ada", s, b, 201, status="open", emailDelivery="sent")
    s, b = api.call("POST", "/teams/demo/invitations", member, {"email": mallory[1], "role": "member"})
    check("a plain member cannot invite", s, b, 403, code="forbidden")
    s, b = api.call("POST", "/teams/demo/invitations", owner, {"email": ada[1], "role": "member"})
    check("a second open invitation is refused", s, b, 409, code="already_invited")

    s, b = api.call("GET", "/teams/demo/invitations?limit=5", member)
    check("a member lists the invitations", s, b, 200)
    listed = [i for i in (b or {}).get("invitations", []) if i["id"] == inv.get("id")]
    if not listed or "link" in listed[0]:
        FAILURES.append("the new invitation is listed, without the link for a plain member")

    link = sent_email_link(ada[1])
    print(f"       link from the email: {link}")
    if link != inv.get("link"):
        FAILURES.append("the emailed link differs from the one the manager can copy")
    inv_id, tok = link.split("/invitations/")[1].split("?token=")

    s, b = api.call("GET", f"/invitations/{inv_id}?token={tok}")
    check("preview by link", s, b, 200, status="open", teamName="Demo Team", role="member")
    s, b = api.call("GET", f"/invitations/{inv_id}?token=forged")
    check("a forged token is not found", s, b, 404, code="not_found")
    s, b = api.call("POST", f"/invitations/{inv_id}/accept", mallory, {"token": tok})
    check("a forwarded link does not work for another account", s, b, 403, code="email_mismatch")
    s, b = api.call("POST", f"/invitations/{inv_id}/accept", ada, {"token": tok})
    check("ada accepts", s, b, 200)
    if (b or {}).get("membership", {}).get("role") != "member":
        FAILURES.append(f"membership with the invitation's role: {b}")
    s, b = api.call("POST", f"/invitations/{inv_id}/accept", ada, {"token": tok})
    check("a second accept is refused", s, b, 409, code="invitation_not_open", invitationStatus="accepted")

    s, b = api.call("POST", "/teams/demo/invitations", owner, {"email": mallory[1], "role": "administrator"})
    other = check("owner invites another address", s, b, 201)
    s, b = api.call("POST", f"/teams/demo/invitations/{other.get('id')}/withdraw", owner)
    check("owner withdraws it", s, b, 200, status="withdrawn")
    other_tok = other.get("link", "?token=").split("?token=")[1]
    s, b = api.call("POST", f"/invitations/{other.get('id')}/decline", None, {"token": other_tok})
    check("the withdrawn link no longer works", s, b, 409, invitationStatus="withdrawn")

    if FAILURES:
        print("\nwalkthrough FAILED:\n  " + "\n  ".join(FAILURES))
        sys.exit(1)
    print("\nwalkthrough: every step answered as documented")


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--token":
        print(token(sys.argv[2], sys.argv[3]))
    elif len(sys.argv) == 2:
        run(Api(sys.argv[1]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
