#!/usr/bin/env python3
"""A test suite's own team and people, and the one place tokens are minted.

Each suite that runs against a live API (the journey, scripts/e2e.py; the
browser suite, web/tests; the contract, schemathesis) makes its own team through
the platform's route and its own accounts, so that none depends on another's
order, on what another left behind, or on the demo data:

    suite.py create NAME --stack .local/stack.json --out .local/suite-NAME.json
    suite.py create NAME --local API_URL --out FILE   (the `scripts/dev --api` stand-in)
        [--pool N]   N open invitations for the fuzzer to act on (schemathesis_hooks.py)
    suite.py token USER [--suite FILE]   a fresh ID token for one of its people
    suite.py refresh FILE                fresh tokens in the file (they last an hour)
    suite.py token --unsigned SUB EMAIL  the local stand-in's unsigned token
    suite.py settle FILE                 waits until the pool's invitations may be resent

The people: owner, admin (administrator) and member belong to the team; ada and
bo are verified accounts that do not; eve's email is not verified. On the stack
they are Cognito users of its pool (ID tokens, as the frontend signs in); on the
local stand-in, which reads claims from unsigned tokens, they are just claims.
admin and member join as people do: the owner invites them and they accept.

The file written has the shape scripts/stack.py's stack.json has (api, team,
team_name, users with their tokens, ...), so every suite takes either. HTTP
is the standard library only (Api, sigv4): scripts/e2e.py imports them and
runs unchanged against AWS; boto3 is needed only to make Cognito users.
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

# name -> (role in the suite's team or None, verified email)
PEOPLE = {
    "owner": ("owner", True),
    "admin": ("administrator", True),
    "member": ("member", True),
    "ada": (None, True),
    "bo": (None, True),
    "eve": (None, False),
    # Joins through the pool's invite link, and cancels a join request (the
    # fuzzer signs joins and cancels as them).
    "joiner": (None, True),
    # Asks to join through the pool's link that needs approval (denied by the fuzzer).
    "asker": (None, True),
    # Of the team's verified domain (`{team}.test`, declared by the platform):
    # joins by it, in the journeys, the browser suite and the fuzzer.
    "colleague": (None, True),
    # Signed in with an address the invitation was not sent to: asks the team
    # to let that account accept (the journeys, the fuzzer's approval).
    "consenter": (None, True),
}
# The local stand-in's platform key: a `dev` build takes any SigV4 header, unverified.
LOCAL_PLATFORM = {"access_key_id": "local-platform", "secret_access_key": "local", "region": "us-east-1"}


class Api:
    """HTTP calls to the API: a bearer token, a JSON body, or a SigV4 signature."""

    def __init__(self, base, origin=None):
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
            with urllib.request.urlopen(req, timeout=60) as r:
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


# --- tokens: minted here and nowhere else ------------------------------------

def unsigned_token(sub, email, verified=True):
    """The claims the local stand-in reads (a `dev` build with LOCAL_INSECURE_AUTH)."""
    enc = lambda v: base64.urlsafe_b64encode(json.dumps(v).encode()).decode().rstrip("=")
    return f"{enc({'alg': 'none', 'typ': 'JWT'})}.{enc({'sub': sub, 'email': email, 'email_verified': verified})}."


def cognito():
    import boto3  # only here: e2e.py and the hooks import this module without it

    return boto3.client("cognito-idp", endpoint_url=os.environ["AWS_ENDPOINT_URL"],
                        region_name=os.environ.get("AWS_REGION", "us-east-1"))


def cognito_token(pool, app_client, username, password):
    """An ID token, as the frontend gets one when the user signs in."""
    out = cognito().admin_initiate_auth(
        UserPoolId=pool, ClientId=app_client, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    return out["AuthenticationResult"]["IdToken"]


def cognito_user(pool, username, email, verified, password):
    """A Cognito user with a permanent password; returns its `sub`."""
    idp = cognito()
    idp.admin_create_user(
        UserPoolId=pool, Username=username, MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true" if verified else "false"}],
    )
    idp.admin_set_user_password(UserPoolId=pool, Username=username, Password=password, Permanent=True)
    attrs = {a["Name"]: a["Value"] for a in idp.admin_get_user(UserPoolId=pool, Username=username)["UserAttributes"]}
    return attrs["sub"]


def fresh_token(s, name):
    """A fresh token for one of a suite's (or the stack's) people."""
    u = s["users"][name]
    if s.get("user_pool"):
        use_emulator(s)
        return cognito_token(s["user_pool"], s["app_client"], u["username"], s["password"])
    return unsigned_token(u["sub"], u["email"], u["verified"])


def use_emulator(s):
    # From any shell: the emulator's address and its test credentials.
    for name, value in [("AWS_ENDPOINT_URL", s["endpoint"]), ("AWS_REGION", s["region"]),
                        ("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test")]:
        os.environ.setdefault(name, value)


# --- a suite's team ----------------------------------------------------------

def create(name, base, pool_size=0):
    """The suite `name`: a team of its own made through the platform's route,
    its people, and (pool_size > 0) open invitations for the fuzzer."""
    run = f"{name}-{secrets.token_hex(3)}"
    s = dict(base)
    s.update(suite=name, team=run, team_name=f"{name.capitalize()} Team")
    users = {}
    for who, (role, verified) in PEOPLE.items():
        email = f"{who}@{run}.test" if who == "colleague" else f"{who}+{run}@example.com"
        username = f"{run}-{who}"
        if s.get("user_pool"):
            sub = cognito_user(s["user_pool"], username, email, verified, s["password"])
        else:
            sub = username
        users[who] = {"username": username, "email": email, "sub": sub, "verified": verified, "role": role}
    s["users"] = users
    for who in users:
        users[who]["token"] = fresh_token(s, who)
    if s.get("user_pool") and s.get("other_app_client"):
        s["other_audience_token"] = cognito_token(s["user_pool"], s["other_app_client"], users["owner"]["username"], s["password"])

    api = Api(s["api"])
    owner = users["owner"]
    new = {"name": s["team_name"], "owner": {"userId": owner["sub"], "email": owner["email"]}}
    expect(api.call("PUT", f"/platform/teams/{run}", body=new, signed_by=s["platform"]), 201, "the platform creates the team")
    # The team's verified domain, the colleague's: joining by it needs no approval.
    s["domain"] = f"{run}.test"
    domain = f"/platform/teams/{run}/domains/{s['domain']}"
    expect(api.call("PUT", domain, body={"role": "member"}, signed_by=s["platform"]), 200, "the platform declares the team's domain")
    invitations = f"/teams/{run}/invitations"
    for who in ("admin", "member"):
        u = users[who]
        inv = expect(api.call("POST", invitations, owner["token"], {"email": u["email"], "role": u["role"]}), 201, f"the owner invites {who}")
        expect(api.call("POST", f"/invitations/{inv['id']}/accept", u["token"], {"token": inv["linkToken"]}), 200, f"{who} accepts")
    if pool_size:
        pool = []
        for i in range(pool_size):
            inv = expect(api.call("POST", invitations, owner["token"], {"email": f"pool{i}+{run}@example.com", "role": "member"}), 201, "pool")
            pool.append({"id": inv["id"], "token": inv["linkToken"], "email": inv["email"]})
        # One for ada, who may accept it (the fuzzer signs accepts as her).
        inv = expect(api.call("POST", invitations, owner["token"], {"email": users["ada"]["email"], "role": "member"}), 201, "pool")
        s["pool"] = {"invitations": pool, "for_ada": {"id": inv["id"], "token": inv["linkToken"]}}
        # Invite links: one to revoke, one to preview and join through.
        links = f"/teams/{run}/invite-links"
        for purpose in ("revoke", "join"):
            link = expect(api.call("POST", links, owner["token"], {"role": "member", "maxUses": 1000}), 201, "pool link")
            s["pool"][f"{purpose}_link"] = {"id": link["id"], "token": link["token"]}
        # Join requests through a link that needs approval: bo's to approve,
        # the asker's to deny, the joiner's to cancel.
        link = expect(api.call("POST", links, owner["token"], {"role": "member", "maxUses": 1000, "approval": True}), 201, "pool approval link")
        for who in ("bo", "asker", "joiner"):
            expect(api.call("POST", f"/invite-links/{run}/{link['id']}/join", users[who]["token"], {"token": link["token"]}), 202, f"{who} asks to join")
        s["pool"]["requests"] = {"approve": users["bo"]["sub"], "deny": users["asker"]["sub"]}
        # Requests to accept as another address: the consenter's to approve,
        # the asker's to refuse.
        consents = {}
        for purpose, who in (("approve", "consenter"), ("refuse", "asker")):
            inv = expect(api.call("POST", invitations, owner["token"], {"email": f"consent-{purpose}+{run}@example.com", "role": "member"}), 201, "pool")
            expect(api.call("POST", f"/invitations/{inv['id']}/accept-requests", users[who]["token"], {"token": inv["linkToken"]}), 202, f"{who} asks to accept as another address")
            consents[purpose] = inv["id"]
        s["pool"]["accept_requests"] = consents
        # A team for the platform's DELETE to close, apart from the one its
        # other routes act on (closed, that one would refuse every rename).
        expect(api.call("PUT", f"/platform/teams/{run}-closing", body=new, signed_by=s["platform"]), 201, "the team to close")
        # The team the platform's other routes act on, made now so that naming
        # an owner (which does not create a team) finds it from the start.
        expect(api.call("PUT", f"/platform/teams/{run}-platform", body=new, signed_by=s["platform"]), 201, "the platform's team")
    return s


def settle(s, limit=300):
    """Waits until the API offers `resend` on every pool invitation (the resend
    cooldown since each was sent has passed), so the fuzzer's resends can succeed."""
    api, owner = Api(s["api"]), s["users"]["owner"]["token"]
    wanted = {i["id"] for i in s["pool"]["invitations"]}
    started = time.monotonic()
    while True:
        page = expect(api.call("GET", f"/teams/{s['team']}/invitations?status=open&limit=100", owner), 200, "the pool")
        ready = {i["id"] for i in page["invitations"] if "resend" in i.get("actions", [])}
        if wanted <= ready:
            print(f"suite: the pool may be resent, after {time.monotonic() - started:.0f} s", flush=True)
            return
        if time.monotonic() - started > limit:
            sys.exit(f"suite: after {limit} s, {len(wanted - ready)} pool invitations still may not be resent")
        time.sleep(2)


def expect(answer, status, what):
    got, body, _ = answer
    if got != status:
        sys.exit(f"suite: {what}: expected {status}, got {got} {body}")
    return body


def local_base(api_url):
    """What the local stand-in offers a suite: the API, unsigned tokens, the
    emails moto recorded."""
    base = {
        "api": api_url,
        "gateway": False,
        "frontend_origin": os.environ.get("APP_BASE_URL", "http://localhost:3000"),
        "platform": LOCAL_PLATFORM,
    }
    if os.environ.get("AWS_ENDPOINT_URL"):
        base["moto_messages"] = f"{os.environ['AWS_ENDPOINT_URL'].rstrip('/')}/moto-api/data.json"
    return base


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("create")
    c.add_argument("name")
    where = c.add_mutually_exclusive_group(required=True)
    where.add_argument("--stack", help="a deployed stack's stack.json (scripts/stack.py)")
    where.add_argument("--local", metavar="API_URL", help="the local stand-in (scripts/dev --api)")
    c.add_argument("--out", required=True)
    c.add_argument("--pool", type=int, default=0)
    t = sub.add_parser("token")
    t.add_argument("user", nargs="?")
    t.add_argument("--suite", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".local", "stack.json"))
    t.add_argument("--unsigned", nargs=2, metavar=("SUB", "EMAIL"))
    w = sub.add_parser("settle")
    w.add_argument("suite")
    r = sub.add_parser("refresh")
    r.add_argument("suite")
    args = p.parse_args()

    if args.command == "token":
        if args.unsigned:
            print(unsigned_token(*args.unsigned))
            return
        s = json.load(open(args.suite))
        if args.user not in s["users"]:
            sys.exit(f"suite: no user {args.user!r}; one of {', '.join(s['users'])}")
        print(fresh_token(s, args.user))
    elif args.command == "settle":
        settle(json.load(open(args.suite)))
    elif args.command == "refresh":
        s = json.load(open(args.suite))
        for who in s["users"]:
            s["users"][who]["token"] = fresh_token(s, who)
        with open(args.suite, "w") as f:
            json.dump(s, f, indent=2)
    else:
        if args.stack:
            base = json.load(open(args.stack))
            use_emulator(base)
            base.pop("users", None)
        else:
            base = local_base(args.local)
        s = create(args.name, base, args.pool)
        with open(args.out, "w") as f:
            json.dump(s, f, indent=2)
        print(f"suite {args.name}: team {s['team']!r} with {', '.join(s['users'])}; wrote {args.out}", flush=True)


if __name__ == "__main__":
    main()
