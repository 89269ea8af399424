#!/usr/bin/env python3
"""The journey through the API, over HTTP only: API Gateway, its JWT authorizer,
the functions, the table, the email. Standard library only (with scripts/suite.py
beside it), so it runs unchanged against a stack deployed to AWS (docs/deploy.md,
"Smoke test after a deploy"), against the local stack (scripts/stack) and against
the local stand-in (scripts/smoke), each with a team of its own:

    e2e.py SUITE.json

SUITE.json (scripts/suite.py create writes one) names the API, the team, the
frontend origin and, for each person, an email and a token:
  owner, admin and member (the team's owner, an administrator and a plain
  member), ada and bo (verified accounts that are not members), eve (an account
  whose email is not verified);
  gateway (default true): false where no API Gateway stands in front (the local
  stand-in), which skips what only the gateway does (its authorizer, CORS);
  other_audience_token: a token from the same issuer for another app client;
  ses_messages or moto_messages (optional): where an emulator shows sent mail;
  platform (optional): {access_key_id, secret_access_key, session_token?,
  region}, credentials of a role allowed to call the platform's team routes,
  which the journey then checks (SigV4-signed, as the platform calls them);
  delivery_invoke (optional): a URL that invokes the delivery function with
  an EventBridge event (the emulator's Lambda API), where the journey sends
  SES's report of a bounce;
  admin (optional): the invitations-admin binary, run against the stack's
  table (`table`, `endpoint`, `region`) to move an invitation on in time where
  the emulator's clock cannot: the journey then renews an expired invitation;
  remind_invoke (optional, with admin): a URL that runs the reminders function
  (the emulator's Lambda API); the journey then checks a reminder is
  delivered, as the emulator's SES shows it;
  events_received (optional): a URL listing the messages a queue subscribed
  to the stack's bus holds; the journey then checks every change it made was
  published, once, and saves the events to $E2E_EVENTS_OUT when set.
ada, bo and eve must not be members of the team (the journey makes ada one).

Prints one line per check and closes with 'N passed, N failed'; exits non-zero
on any failure.
"""

import base64
import datetime
import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.request

from suite import Api

PASSED, FAILED = [], []


def check(name, ok, detail=""):
    (PASSED if ok else FAILED).append(name)
    print(f"{'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f": {detail}"), flush=True)
    return ok


def platform_journey(api, s, tok):
    """The platform's machine interface: refused to anyone but a signed service;
    create (idempotent), read, rename, close."""
    creds = s["platform"]
    team = f"{s['team']}-platform-{secrets.token_hex(3)}"
    path = f"/platform/teams/{team}"
    new = {"name": "Platform Team", "owner": {"userId": s["users"]["owner"]["sub"], "email": s["users"]["owner"]["email"]}}
    if s.get("gateway", True):
        check("platform route unsigned: 403 from the gateway", api.call("PUT", path, body=new)[0] == 403)
    check("platform route with a user's token: 403", api.call("PUT", path, tok["owner"], new)[0] == 403)
    if s.get("platform_stranger"):
        status, body, _ = api.call("PUT", path, body=new, signed_by=s["platform_stranger"])
        check("platform route signed by a principal PLATFORM_ROLE_ARNS does not list: 403", (status, (body or {}).get("code")) == (403, "forbidden"), f"{status} {body}")
    status, body, _ = api.call("PUT", path, body=new, signed_by=creds)
    if not check("the platform creates a team: 201", status == 201 and body.get("name") == "Platform Team", f"{status} {body}"):
        return
    status, again, _ = api.call("PUT", path, body=new, signed_by=creds)
    check("creating it again changes nothing: 200", status == 200 and again == body, f"{status} {again}")
    status, body, _ = api.call("PATCH", path, body={"name": "Renamed Team"}, signed_by=creds)
    check("the platform renames it: 200", status == 200 and body["team"]["name"] == "Renamed Team", f"{status} {body}")
    plan = {"openInvitations": 3, "emailsPerHour": 7, "seats": 2}
    status, body, _ = api.call("PATCH", path, body={"limits": plan}, signed_by=creds)
    check("the platform gives it limits of its own, two seats among them: 200", status == 200 and body["team"]["limits"] == plan and body["team"]["name"] == "Renamed Team", f"{status} {body}")
    invite = lambda who: api.call("POST", f"/teams/{team}/invitations", tok["owner"], {"email": f"{who}.{team}@example.com", "role": "member"})
    status, body, _ = invite("seat")
    check("an invitation takes the second seat: 201", status == 201, f"{status} {body}")
    status, body, _ = invite("no-seat")
    check("an invite beyond the seats: 409 seat_limit", (status, (body or {}).get("code")) == (409, "seat_limit"), f"{status} {body}")
    status, body, _ = api.call("GET", f"/teams/{team}/members", tok["owner"])
    seats = {"limit": 2, "members": 1, "openInvitations": 1, "free": 0}
    check("its owner sees its members and its seats", status == 200 and len(body.get("members", [])) == 1 and body.get("seats") == seats, f"{status} {body}")
    # The platform's recovery path: it names an owner, whatever the seats.
    heir = f"heir-{team}"
    owner_path = f"{path}/owners/{heir}"
    check("naming an owner with a user's token: 403", api.call("PUT", owner_path, tok["owner"], {})[0] == 403)
    status, body, _ = api.call("PUT", owner_path, body={"email": f"{heir}@example.com"}, signed_by=creds)
    check("the platform names someone new an owner: 201", status == 201 and body.get("role") == "owner" and body.get("previousRole") is None, f"{status} {body}")
    status, body, _ = api.call("PUT", owner_path, body={}, signed_by=creds)
    check("naming them again changes nothing: 200, previousRole owner", status == 200 and body.get("previousRole") == "owner", f"{status} {body}")
    status, body, _ = api.call("DELETE", path, signed_by=creds)
    check("the platform closes it: 202, its closing under way", status == 202 and body["closedAt"] and body["closing"]["done"] is False, f"{status} {body}")
    status, body, _ = api.call("PUT", path, body=new, signed_by=creds)
    check("a closed team is not created again: 409 team_closed", (status, (body or {}).get("code")) == (409, "team_closed"), f"{status} {body}")
    if not s.get("gateway", True):
        return  # no stream here: the closing function runs in the deployed stack only
    # The closing function, invoked by the table's stream, ends the owner's
    # membership in the background.
    deadline = time.monotonic() + 60
    while True:
        status, body, _ = api.call("GET", path, signed_by=creds)
        if (body or {}).get("closing", {}).get("done") or time.monotonic() > deadline:
            break
        time.sleep(1)
    check("its closing finishes in the background: its invitation withdrawn, both owners' memberships ended", status == 200 and body["closing"] == {"done": True, "invitationsWithdrawn": 1, "membershipsEnded": 2}, f"{status} {body}")
    check("its owner no longer sees it: 403", api.call("GET", f"/teams/{team}/members", tok["owner"])[0] == 403)


def delivery_journey(api, s, tok, invitations):
    """SES reports a bounce (as EventBridge hands it to the delivery function):
    the list and the invitation's history show it. Returns the invitation's id."""
    # An address of this suite's own: one mailbox gets a limited number of
    # invitation emails a day, whichever team sends them.
    typo = f"typo.{s['team']}@example.com"
    status, inv, _ = api.call("POST", invitations, tok["owner"], {"email": typo, "role": "member"})
    if not check("the owner invites a mistyped address: 201", status == 201, f"{status} {inv}"):
        return None
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    report = {
        "version": "0", "id": "e2e-bounce", "source": "aws.ses", "detail-type": "Email Bounced", "time": now,
        "region": "us-east-1", "account": s.get("account", "000000000000"), "resources": [],
        "detail": {
            "eventType": "Bounce",
            "bounce": {"bounceType": "Permanent", "bounceSubType": "General", "timestamp": now,
                       "bouncedRecipients": [{"emailAddress": typo}], "feedbackId": "e2e"},
            "mail": {"timestamp": now, "messageId": "e2e", "destination": [typo],
                     "tags": {"invitationId": [inv["id"]], "linkGeneration": ["0"],
                              "ses:configuration-set": [s.get("ses_configuration_set", "")]}},
        },
    }
    req = urllib.request.Request(s["delivery_invoke"], data=json.dumps(report).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        failed = r.headers.get("X-Amz-Function-Error")
        check("the delivery function applies SES's bounce report", r.status == 200 and not failed, f"{r.status} {failed} {r.read()[:300]}")
    status, page, _ = api.call("GET", invitations + "?status=open&limit=100", tok["owner"])
    listed = next((i for i in (page or {}).get("invitations", []) if i["id"] == inv["id"]), {})
    check("the list shows it bounced, permanently", (listed.get("emailDelivery"), listed.get("bounceType")) == ("bounced", "permanent"), f"{listed}")
    history = f"{invitations}/{inv['id']}/history"
    status, body, _ = api.call("GET", history, tok["owner"])
    kinds = [(h["type"], h.get("emailDelivery")) for h in (body or {}).get("history", [])]
    check("its history: invited by the owner, then the bounce", status == 200 and kinds == [("invitation.created", None), ("invitation.delivery_changed", "bounced")] and body["history"][0]["actor"] == s["users"]["owner"]["sub"], f"{status} {body}")
    check("a member may not read the history: 403", api.call("GET", history, tok["member"])[0] == 403)
    check("a bounced invitation offers no resend", "resend" not in listed.get("actions", ["resend"]), f"{listed}")
    status, body, _ = api.call("POST", f"{invitations}/{inv['id']}/resend", tok["owner"])
    check("nor is it resent: 409 recipient_unreachable, bounced", (status, (body or {}).get("code"), (body or {}).get("reason")) == (409, "recipient_unreachable", "bounced"), f"{status} {body}")
    status, _, _ = api.call("POST", f"{invitations}/{inv['id']}/withdraw", tok["owner"])
    check("the manager withdraws it (to invite the right address)", status == 200)
    return inv["id"]


def emailed(s, to):
    """The (subject, text) of each email to `to` the emulator shows (MiniStack's)."""
    with urllib.request.urlopen(s["ses_messages"], timeout=30) as r:
        data = json.load(r)
    return [(m.get("Subject", ""), m.get("BodyText") or m.get("BodyHtml") or "")
            for messages in (data.get("messages") or {}).values() for m in messages if to in m.get("To", [])]


def admin(s, *args):
    """The operator's command against the stack's table (the emulator's)."""
    env = dict(os.environ, TABLE_NAME=s["table"], AWS_ENDPOINT_URL=s["endpoint"], AWS_REGION=s["region"],
               AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test")
    return subprocess.run([s["admin"], *args], env=env, capture_output=True, text=True, timeout=60)


def moved_on(api, s, tok, invitations, name, days, command, what):
    """An invitation to an address of this suite's own, open for `days`, moved
    on in time by the operator's `command` (`what` it does, for the check)."""
    status, inv, _ = api.call("POST", invitations, tok["owner"], {"email": f"{name}.{s['team']}@example.com", "role": "member", "expiresInDays": days})
    if not check(f"the owner invites someone for {days} days: 201", status == 201, f"{status} {inv}"):
        return None
    done = admin(s, command, "--invitation-id", inv["id"])
    check(f"{what} (the emulator's clock cannot move on)", done.returncode == 0, done.stderr)
    return inv if done.returncode == 0 else None


def renewal_journey(api, s, tok, invitations):
    """An expired invitation renewed in one action: open again, a new link and
    period, the same id and history. Returns the invitation's id."""
    inv = moved_on(api, s, tok, invitations, "renew", 2, "expire-invitation", "its two days pass")
    if not inv:
        return None
    status, page, _ = api.call("GET", invitations + "?status=expired&limit=100", tok["owner"])
    row = next((i for i in (page or {}).get("invitations", []) if i["id"] == inv["id"]), {})
    check("the list shows it expired, to renew", row.get("status") == "expired" and row.get("actions") == ["resend"], f"{row}")
    status, renewed, _ = api.call("POST", f"{invitations}/{inv['id']}/resend", tok["admin"])
    ok = status == 200 and (renewed.get("id"), renewed.get("status")) == (inv["id"], "open") and renewed.get("link") != inv["link"]
    if not check("an administrator renews it: 200, the same invitation, open, with a new link", ok, f"{status} {renewed}"):
        return inv["id"]
    lasts = datetime.datetime.fromisoformat(renewed["expiresAt"].replace("Z", "+00:00")) - datetime.datetime.now(datetime.timezone.utc)
    check("open for its own two days again", datetime.timedelta(days=2) - datetime.timedelta(minutes=5) < lasts <= datetime.timedelta(days=2), f"{lasts}")
    status, body, _ = preview_of(api, inv["id"], token_of(inv["link"]))
    check("the old link stays dead: 404", status == 404, f"{status} {body}")
    status, body, _ = preview_of(api, inv["id"], token_of(renewed["link"]))
    check("the new one opens it", status == 200 and body.get("status") == "open", f"{status} {body}")
    status, body, _ = api.call("GET", f"{invitations}/{inv['id']}/history", tok["owner"])
    kinds = [h["type"] for h in (body or {}).get("history", [])]
    check("its history: invited, then sent again", kinds == ["invitation.created", "invitation.resent"], f"{status} {body}")
    status, _, _ = api.call("POST", f"{invitations}/{inv['id']}/withdraw", tok["owner"])
    check("the owner withdraws it", status == 200)
    return inv["id"]


def reminder_journey(api, s, tok, invitations):
    """A reminder before expiry: an invitation open for three days gets one
    (48 hours before it expires, made due now), with its current link, once.
    Returns the invitation's id."""
    inv = moved_on(api, s, tok, invitations, "remind", 3, "remind-now", "its reminder is made due now")
    if not inv:
        return None
    to = inv["email"]

    def run():
        req = urllib.request.Request(s["remind_invoke"], data=b'{"source": "aws.events", "detail-type": "Scheduled Event"}',
                                     method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers.get("X-Amz-Function-Error"), json.loads(r.read() or b"null")
    status, failed, tally = run()
    # The emulator's schedule may have run it a moment before: either run sent it.
    check("a run of the reminders function succeeds", status == 200 and not failed and isinstance(tally, dict), f"{status} {failed} {tally}")
    reminders = [(subject, text) for subject, text in emailed(s, to) if subject.startswith("Reminder:")]
    check("the reminder is delivered: one email, the invitation's current link", len(reminders) == 1 and inv["link"] in reminders[0][1], f"{reminders}")
    status, _, _ = run()
    check("a second run sends it no second time", status == 200 and len([1 for subject, _ in emailed(s, to) if subject.startswith("Reminder:")]) == 1)
    status, body, _ = api.call("GET", f"{invitations}/{inv['id']}/history", tok["owner"])
    kinds = [(h["type"], h["actor"]) for h in (body or {}).get("history", [])]
    check("its history: invited, then reminded (by no one)", kinds == [("invitation.created", s["users"]["owner"]["sub"]), ("invitation.reminded", None)], f"{status} {body}")
    status, _, _ = api.call("POST", f"{invitations}/{inv['id']}/withdraw", tok["owner"])
    check("the owner withdraws it", status == 200)
    return inv["id"]


def link_journey(api, s, tok):
    """An invite link: the owner makes one; bo, not a member, opens it and
    joins through it; the list names bo; revoking it with the memberships it
    made ends bo's. Returns (link id, whether bo joined)."""
    u = s["users"]
    links = f"/teams/{s['team']}/invite-links"
    status, link, _ = api.call("POST", links, tok["owner"], {"role": "member", "maxUses": 2, "expiresInDays": 1})
    if not check("the owner makes an invite link: 201, its link shown once", status == 201 and "#token=" in (link or {}).get("url", ""), f"{status} {link}"):
        return None, False
    check("a member may not make one: 403", api.call("POST", links, tok["member"], {"role": "member", "maxUses": 2})[0] == 403)
    path = f"/invite-links/{s['team']}/{link['id']}"
    token = token_of(link["url"])
    status, body, _ = api.call("GET", path, tok["bo"], headers={"Invite-Link-Token": token})
    body = body or {}
    check("bo opens it: the team, the role, who made it", status == 200 and (body.get("teamName"), body.get("role"), body.get("createdByEmail"), body.get("alreadyMember")) == (s["team_name"], "member", u["owner"]["email"], False), f"{status} {body}")
    check("a wrong token: 404", api.call("GET", path, tok["bo"], headers={"Invite-Link-Token": tampered_link(token)})[0] == 404)
    check("opening it needs a sign-in: 401", api.call("GET", path, headers={"Invite-Link-Token": token})[0] == 401)
    status, body, _ = api.call("POST", path + "/join", tok["bo"], {"token": token})
    made = (body or {}).get("membership") or {}
    joined = check("bo joins through it: 201, a member", status == 201 and (made.get("email"), made.get("role")) == (u["bo"]["email"], "member"), f"{status} {body}")
    status, body, _ = api.call("POST", path + "/join", tok["bo"], {"token": token})
    check("joining again: 409 already_member", (status, (body or {}).get("code")) == (409, "already_member"), f"{status} {body}")
    status, body, _ = api.call("GET", links, tok["owner"])
    listed = next((l for l in (body or {}).get("links", []) if l["id"] == link["id"]), {})
    check("the list shows its use and who joined, never its link", listed.get("uses") == 1 and [j["email"] for j in listed.get("joined", [])] == [u["bo"]["email"]] and "url" not in listed, f"{status} {listed}")
    status, body, _ = api.call("POST", f"{links}/{link['id']}/revoke", tok["admin"], {"endMemberships": True})
    check("an administrator revokes it with the memberships it made: 200, one ended", status == 200 and body["link"]["state"] == "revoked" and body["membershipsEnded"] == int(joined), f"{status} {body}")
    check("bo is no longer a member: 403", api.call("GET", f"/teams/{s['team']}/members", tok["bo"])[0] == 403)
    status, body, _ = api.call("POST", path + "/join", tok["bo"], {"token": token})
    check("the revoked link lets no one in: 410 link_not_active, revoked", (status, (body or {}).get("code"), (body or {}).get("linkState")) == (410, "link_not_active", "revoked"), f"{status} {body}")
    return link["id"], joined


def request_journey(api, s, tok):
    """A join request: through a link that needs approval, bo asks; the team's
    list shows it; an administrator approves it, and bo is a member (then
    leaves, so the journey can run again). Returns whether bo asked."""
    u = s["users"]
    links = f"/teams/{s['team']}/invite-links"
    status, link, _ = api.call("POST", links, tok["owner"], {"role": "member", "maxUses": 5, "approval": True})
    if not check("the owner makes a link that needs approval: 201", status == 201 and (link or {}).get("approval") is True, f"{status} {link}"):
        return False
    status, body, _ = api.call("POST", f"/invite-links/{s['team']}/{link['id']}/join", tok["bo"], {"token": token_of(link["url"])})
    if not check("bo asks to join through it: 202, pending", status == 202 and body["request"]["status"] == "pending", f"{status} {body}"):
        return False
    requests = f"/teams/{s['team']}/join-requests"
    status, body, _ = api.call("GET", requests, tok["owner"])
    waiting = [r for r in (body or {}).get("requests", []) if r["userId"] == u["bo"]["sub"] and r["status"] == "pending"]
    check("the team's managers see it waiting", status == 200 and len(waiting) == 1, f"{status} {body}")
    check("its members do not: 403", api.call("GET", requests, tok["member"])[0] == 403)
    status, body, _ = api.call("GET", "/me/join-requests", tok["bo"])
    check("bo sees it among theirs", status == 200 and any(r["teamId"] == s["team"] and r["status"] == "pending" for r in body["requests"]), f"{status} {body}")
    status, body, _ = api.call("POST", f"{requests}/{u['bo']['sub']}/approve", tok["admin"])
    check("an administrator approves it: 200, approved", status == 200 and (body or {}).get("status") == "approved", f"{status} {body}")
    status, body, _ = api.call("GET", f"/teams/{s['team']}/members", tok["bo"])
    check("bo is a member, as the link's role", status == 200 and any(m["email"] == u["bo"]["email"] and m["role"] == "member" for m in body["members"]), f"{status} {body}")
    status, _, _ = api.call("DELETE", f"/teams/{s['team']}/members/{u['bo']['sub']}", tok["bo"])
    check("bo leaves again", status == 200)
    api.call("POST", f"{links}/{link['id']}/revoke", tok["owner"], {})
    return True


def domain_journey(api, s, tok):
    """Joining by the team's verified domain (declared when the suite was made):
    the colleague sees the team and joins; someone of another domain may not;
    declared again as needing approval, the colleague's join asks, and the
    owner approves. The colleague leaves each time, so the journey can run
    again. Returns whether the colleague joined."""
    u, team, creds = s["users"], s["team"], s["platform"]
    domain = f"/platform/teams/{team}/domains/{s['domain']}"
    status, body, _ = api.call("GET", "/me/joinable-teams", tok["colleague"])
    mine = [t for t in (body or {}).get("teams", []) if t["teamId"] == team]
    if not check("the colleague sees the team among those their domain lets them join", status == 200 and len(mine) == 1 and not mine[0]["member"], f"{status} {body}"):
        return False
    status, body, _ = api.call("GET", "/me/joinable-teams", tok["bo"])
    check("bo, of another domain, sees none of it", status == 200 and not any(t["teamId"] == team for t in body["teams"]), f"{status} {body}")
    status, body, _ = api.call("POST", f"/me/joinable-teams/{team}/join", tok["bo"])
    check("nor may join by it: 403 domain_not_allowed", (status, (body or {}).get("code")) == (403, "domain_not_allowed"), f"{status} {body}")
    status, body, _ = api.call("POST", f"/me/joinable-teams/{team}/join", tok["colleague"])
    if not check("the colleague joins by the domain: 201, as a member", status == 201 and body["membership"]["role"] == "member", f"{status} {body}"):
        return False
    check("the colleague leaves", api.call("DELETE", f"/teams/{team}/members/{u['colleague']['sub']}", tok["colleague"])[0] == 200)
    status, body, _ = api.call("PUT", domain, body={"role": "member", "approval": True}, signed_by=creds)
    check("the platform declares the domain again, needing approval: 200", status == 200 and body["approval"] is True, f"{status} {body}")
    status, body, _ = api.call("POST", f"/me/joinable-teams/{team}/join", tok["colleague"])
    check("the colleague's join now asks: 202, pending, through the domain", status == 202 and body["request"]["domain"] == s["domain"], f"{status} {body}")
    status, body, _ = api.call("POST", f"/teams/{team}/join-requests/{u['colleague']['sub']}/approve", tok["owner"])
    check("the owner approves it: 200", status == 200 and (body or {}).get("status") == "approved", f"{status} {body}")
    check("the colleague leaves again", api.call("DELETE", f"/teams/{team}/members/{u['colleague']['sub']}", tok["colleague"])[0] == 200)
    status, body, _ = api.call("PUT", domain, body={"role": "member"}, signed_by=creds)
    check("and the platform declares it as it was", status == 200 and body["approval"] is False, f"{status} {body}")
    status, body, _ = api.call("GET", f"/platform/teams/{team}/domains", signed_by=creds)
    check("the team's domains, as the platform reads them", status == 200 and [d["domain"] for d in body["domains"]] == [s["domain"]], f"{status} {body}")
    return True


def consent_journey(api, s, tok):
    """Accepting as another address: an invitation to one address; the
    consenter, signed in with another, is refused, then asks; the team's
    managers see both addresses; an administrator approves, and the consenter
    is a member under their own address (then leaves, so the journey can run
    again). Returns the invitation's id, or None."""
    u, team = s["users"], s["team"]
    address = f"consent-{secrets.token_hex(3)}+{team}@example.com"
    status, inv, _ = api.call("POST", f"/teams/{team}/invitations", tok["owner"], {"email": address, "role": "member"})
    if not check("the owner invites another address of the consenter's: 201", status == 201, f"{status} {inv}"):
        return None
    body = {"token": inv["linkToken"]}
    status, refused, _ = api.call("POST", f"/invitations/{inv['id']}/accept", tok["consenter"], body)
    check("the consenter, signed in with their own address, may not accept: 403 email_mismatch", (status, (refused or {}).get("code")) == (403, "email_mismatch"), f"{status} {refused}")
    status, asked, _ = api.call("POST", f"/invitations/{inv['id']}/accept-requests", tok["consenter"], body)
    if not check("they ask the team to let their account accept: 202, pending", status == 202 and asked["status"] == "pending" and asked["invitedEmail"] == address, f"{status} {asked}"):
        return None
    requests = f"/teams/{team}/accept-requests"
    check("the team's members do not see it: 403", api.call("GET", requests, tok["member"])[0] == 403)
    status, body, _ = api.call("GET", requests, tok["owner"])
    mine = [r for r in (body or {}).get("requests", []) if r["invitationId"] == inv["id"]]
    check("its managers see both addresses", status == 200 and len(mine) == 1 and mine[0]["email"] == u["consenter"]["email"], f"{status} {body}")
    status, body, _ = api.call("POST", f"{requests}/{inv['id']}/approve", tok["admin"])
    check("an administrator approves: 200", status == 200 and (body or {}).get("status") == "approved", f"{status} {body}")
    status, body, _ = api.call("GET", f"/teams/{team}/members", tok["owner"])
    check("the consenter is a member, under their own address", status == 200 and any(m["email"] == u["consenter"]["email"] for m in body["members"]), f"{status} {body}")
    check("the consenter leaves", api.call("DELETE", f"/teams/{team}/members/{u['consenter']['sub']}", tok["consenter"])[0] == 200)
    return inv["id"]


def tampered_link(token):
    return token[:-2] + ("BB" if token.endswith("AA") else "AA")


def received_events(url):
    """The events a subscriber's queue holds (the emulator's peek: messages stay)."""
    with urllib.request.urlopen(url, timeout=30) as r:
        data = json.load(r)
    found = []

    def walk(v):
        if isinstance(v, dict):
            if "Body" in v:
                found.append(json.loads(v["Body"]))
            else:
                for child in v.values():
                    walk(child)
        elif isinstance(v, list):
            for child in v:
                walk(child)
    walk(data)
    return found


def events_journey(s, expected):
    """Every change the journey made reached the subscriber, once in effect:
    `expected` is a list of (detail-type, invitation id, member email or invite link id)."""
    def key(e):
        d = e["detail"] if isinstance(e["detail"], dict) else json.loads(e["detail"])
        return (e["detail-type"], (d.get("invitation") or {}).get("id") or (d.get("membership") or {}).get("email")
                or (d.get("inviteLink") or {}).get("id") or d.get("inviteLinkId") or (d.get("request") or {}).get("email"))
    def ours(e):
        d = e["detail"] if isinstance(e["detail"], dict) else json.loads(e["detail"])
        return d.get("teamId") == s["team"] or str(d.get("teamId", "")).startswith(s["team"] + "-platform-")

    # The queue holds every suite's events: the journey checks its own (the
    # stack checks them all against their schemas, after every suite).
    deadline = time.monotonic() + 60
    while True:
        events = [e for e in received_events(s["events_received"]) if ours(e)]
        keys = [key(e) for e in events]
        if all(k in keys for k in expected) or time.monotonic() > deadline:
            break
        time.sleep(1)
    missing = [k for k in expected if k not in keys]
    check(f"a subscriber to the bus received each of the {len(expected)} changes", not missing, f"missing {missing}")
    details = [e["detail"] if isinstance(e["detail"], dict) else json.loads(e["detail"]) for e in events]
    ids = [d.get("eventId") for d in details]
    # What identifies a change: a re-delivery of it must carry the same id, and
    # two changes never share one.
    changes = [(e["detail-type"], d.get("teamId"), (d.get("invitation") or {}).get("id"), d.get("sequence"),
                (d.get("membership") or {}).get("userId"), d.get("occurredAt")) for e, d in zip(events, details)]
    pairs = set(zip(ids, changes))
    check("each change under its own eventId (a re-delivery repeats its id)",
          all(i and re.fullmatch(r"[0-9a-f]{32}", i) for i in ids) and len(pairs) == len(set(ids)) == len(set(changes)), f"{sorted(pairs)}")
    check("no token and no link in any event", not any("token" in json.dumps(d) or "http" in json.dumps(d) for d in details))
    if os.environ.get("E2E_EVENTS_OUT"):
        with open(os.environ["E2E_EVENTS_OUT"], "w") as f:
            json.dump(events, f, indent=2)


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
    """The token of a link, which carries it in its fragment (never sent to a server)."""
    return link.split("#token=", 1)[1]


def preview_of(api, invitation_id, token):
    """The preview, as the page asks for it: the token in a header, not the URL."""
    return api.call("GET", f"/invitations/{invitation_id}", headers={"Invitation-Token": token})


def emulated_mail(s):
    """Whether an emulator shows the mail sent (and so every email goes out)."""
    return bool(s.get("ses_messages") or s.get("moto_messages"))


def emailed_link(s, to):
    """The link in the newest email to `to`, as the emulator recorded it (None
    where no emulator shows sent mail)."""
    bodies = []
    if s.get("ses_messages"):  # MiniStack
        with urllib.request.urlopen(s["ses_messages"], timeout=30) as r:
            data = json.load(r)
        for messages in (data.get("messages") or {}).values():
            bodies += [m.get("BodyText") or m.get("BodyHtml") or "" for m in messages if to in m.get("To", [])]
    elif s.get("moto_messages"):  # moto
        with urllib.request.urlopen(s["moto_messages"], timeout=30) as r:
            data = json.load(r)
        bodies += [m["body"] for m in data.get("ses", {}).get("Message", []) if to in m["destinations"].get("ToAddresses", [])]
    else:
        return None
    links = re.findall(r"https?://[^\s\"<]+/invitations/[0-9a-f-]+#token=[A-Za-z0-9_.-]+", bodies[-1]) if bodies else []
    return links[0].replace("&amp;", "&") if links else ""


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    s = json.load(open(sys.argv[1]))
    api = Api(s["api"], s["frontend_origin"])
    team = s["team"]
    u = s["users"]
    tok = {name: user["token"] for name, user in u.items()}
    invitations = f"/teams/{team}/invitations"
    gateway = s.get("gateway", True)

    # The gateway's authorizer, before any function runs (without a gateway, the
    # function refuses a missing or unreadable token itself).
    check("no token: 401", api.call("GET", invitations)[0] == 401)
    check("garbage token: 401", api.call("GET", invitations, token="not.a.jwt")[0] == 401)
    if gateway:
        check("altered signature: 401", api.call("GET", invitations, token=tampered(tok["owner"]))[0] == 401)
        check("edited claims: 401", api.call("GET", invitations, token=forged(tok["owner"]))[0] == 401)
        check("another app's audience: 401", api.call("GET", invitations, token=s["other_audience_token"])[0] == 401)

    # Invite, as the owner; a member may not.
    note = "Welcome, Ada! <b>See you Monday.</b>"
    status, inv, _ = api.call("POST", invitations, tok["owner"], {"email": u["ada"]["email"], "role": "member", "expiresInDays": 3, "note": note})
    if not check("the owner invites ada, open for three days, with a note: 201 with the link, open", status == 201 and "link" in (inv or {})
                 and inv.get("status") == "open", f"{status} {inv}"):
        return finish()
    lasts = datetime.datetime.fromisoformat(inv["expiresAt"].replace("Z", "+00:00")) - datetime.datetime.fromisoformat(inv["createdAt"].replace("Z", "+00:00"))
    check("it expires three days after it was sent", lasts == datetime.timedelta(days=3), f"{lasts}")
    if emulated_mail(s):
        # In AWS's SES sandbox an unverified invitee's email fails: the field says so.
        check("the email went out", inv.get("emailDelivery") == "sent", f"{inv.get('emailDelivery')}")
    status, body, _ = api.call("POST", invitations, tok["owner"], {"email": u["ada"]["email"], "role": "member"})
    check("a second open invitation to her: 409 already_invited", (status, (body or {}).get("code")) == (409, "already_invited"), f"{status} {body}")
    status, body, _ = api.call("POST", invitations, tok["member"], {"email": "mallory@example.com", "role": "member"})
    check("a member may not invite: 403 forbidden", (status, (body or {}).get("code")) == (403, "forbidden"), f"{status} {body}")

    status, page, _ = api.call("GET", invitations + "?limit=50", tok["member"])
    listed = {i["id"]: i for i in (page or {}).get("invitations", [])}
    ada_listed = listed.get(inv["id"], {})
    check("the member lists it, open, without the link", status == 200 and ada_listed.get("status") == "open" and "link" not in ada_listed, f"{status} {ada_listed}")

    # The invitee's side: the link (from the email where the emulator shows it).
    link = inv["link"]
    emailed = emailed_link(s, u["ada"]["email"])
    if emailed is not None:
        check("the email carries the same link", emailed == link, f"{emailed} != {link}")
        link = emailed or link
    check("the link carries its token in the fragment, where no server sees it", "?" not in link and "#token=" in link, link)
    token = token_of(link)
    inv_path = f"/invitations/{inv['id']}"
    status, preview, _ = preview_of(api, inv["id"], token)
    check("preview without signing in: 200, open, as member", status == 200 and preview.get("teamName") == s["team_name"]
          and (preview.get("status"), preview.get("role")) == ("open", "member") and "invitedBy" not in preview, f"{status} {preview}")
    check("the preview shows the inviter's note as written", preview.get("note") == note, f"{preview}")
    status, old, _ = api.call("GET", f"{inv_path}?token={token}")
    check("the query form of links sent before still previews (deprecated)", status == 200 and old == preview, f"{status} {old}")
    status, body, _ = preview_of(api, inv["id"], "forged")
    check("preview with a forged token: 404 not_found", (status, (body or {}).get("code")) == (404, "not_found"), f"{status} {body}")
    check("accept without a token: 401", api.call("POST", inv_path + "/accept", body={"token": token})[0] == 401)
    status, body, _ = api.call("POST", inv_path + "/accept", tok["bo"], {"token": token})
    check("another account: 403 email_mismatch", (status, (body or {}).get("code")) == (403, "email_mismatch"), f"{status} {body}")
    status, body, _ = api.call("POST", inv_path + "/accept", tok["ada"], {"token": token[:-2] + ("BB" if token.endswith("AA") else "AA")})
    check("a tampered link: 404", status == 404, f"{status} {body}")
    status, body, _ = api.call("POST", inv_path + "/accept", tok["ada"], {"token": token})
    check("ada accepts: 200, member", status == 200 and body["membership"]["role"] == "member", f"{status} {body}")
    status, body, _ = api.call("POST", inv_path + "/accept", tok["ada"], {"token": token})
    check("accepting again: 409 invitation_not_open, accepted", (status, (body or {}).get("code"), (body or {}).get("invitationStatus"))
          == (409, "invitation_not_open", "accepted"), f"{status} {body}")
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
        # A role changed in place, within what the caller could grant.
        ada_path = f"{members}/{ada_member['userId']}"
        status, body, _ = api.call("PATCH", ada_path, tok["admin"], {"role": "owner"})
        check("an administrator may not make an owner: 403", status == 403, f"{status} {body}")
        status, body, _ = api.call("PATCH", ada_path, tok["owner"], {"role": "administrator"})
        check("the owner makes ada an administrator: 200", status == 200 and (body.get("role"), body.get("previousRole")) == ("administrator", "member"), f"{status} {body}")
        status, body, _ = api.call("DELETE", f"{members}/{ada_member['userId']}", tok["member"])
        check("a member may not remove one: 403", status == 403, f"{status} {body}")
        status, body, _ = api.call("DELETE", f"{members}/{ada_member['userId']}", tok["admin"])
        check("an administrator removes ada: 200", status == 200 and body.get("removedBy") == u["admin"]["sub"], f"{status} {body}")
        check("ada can no longer list: 403", api.call("GET", invitations, tok["ada"])[0] == 403)
        status, body, _ = api.call("POST", invitations, tok["owner"], {"email": u["ada"]["email"], "role": "member"})
        if check("and can be invited again at once: 201", status == 201, f"{status} {body}"):
            # Accepted, then left by ada herself (any member may leave), so that
            # the journey can run again on the same team.
            again = body
            status, body, _ = api.call("POST", f"/invitations/{again['id']}/accept", tok["ada"], {"token": token_of(again["link"])})
            if check("ada accepts again: 200", status == 200, f"{status} {body}"):
                status, body, _ = api.call("DELETE", f"{members}/{ada_member['userId']}", tok["ada"])
                check("ada leaves by herself: 200", status == 200 and body.get("removedBy") == ada_member["userId"], f"{status} {body}")
            else:
                api.call("POST", f"{invitations}/{again['id']}/withdraw", tok["owner"])
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
        status, body, _ = preview_of(api, eve_inv["id"], token_of(eve_inv["link"]))
        check("the link then shows it withdrawn", status == 200 and body["status"] == "withdrawn", f"{status} {body}")
        status, body, _ = api.call("POST", f"/invitations/{eve_inv['id']}/decline", body={"token": token_of(eve_inv["link"])})
        check("and no longer answers: 409, withdrawn", (status, (body or {}).get("invitationStatus")) == (409, "withdrawn"), f"{status} {body}")

    if s.get("platform"):
        platform_journey(api, s, tok)

    typo = delivery_journey(api, s, tok, invitations) if s.get("delivery_invoke") else None
    renewed = renewal_journey(api, s, tok, invitations) if s.get("admin") else None
    reminded = reminder_journey(api, s, tok, invitations) if s.get("admin") and s.get("remind_invoke") and s.get("ses_messages") else None
    link, bo_joined = link_journey(api, s, tok)
    bo_asked = request_journey(api, s, tok)
    colleague_joined = domain_journey(api, s, tok) if s.get("domain") else False
    consented = consent_journey(api, s, tok) if "consenter" in u else None
    if s.get("events_received"):
        expected = [("invitation.created", inv["id"]), ("invitation.accepted", inv["id"]),
                    ("membership.created", u["ada"]["email"]), ("membership.role_changed", u["ada"]["email"]),
                    ("membership.revoked", u["ada"]["email"])]
        if bo_inv:
            expected += [("invitation.created", bo_inv["id"]), ("invitation.declined", bo_inv["id"])]
        if eve_inv:
            expected += [("invitation.created", eve_inv["id"]), ("invitation.withdrawn", eve_inv["id"])]
        if typo:
            expected += [("invitation.created", typo), ("invitation.delivery_changed", typo), ("invitation.withdrawn", typo)]
        if renewed:
            expected += [("invitation.created", renewed), ("invitation.resent", renewed), ("invitation.withdrawn", renewed)]
        if reminded:
            expected += [("invitation.created", reminded), ("invitation.reminded", reminded), ("invitation.withdrawn", reminded)]
        if link:
            expected += [("invite_link.created", link), ("invite_link.revoked", link)]
        if bo_joined:
            expected += [("invite_link.used", link), ("membership.created", u["bo"]["email"]), ("membership.revoked", u["bo"]["email"])]
        if bo_asked:
            expected += [("join_request.created", u["bo"]["email"]), ("join_request.approved", u["bo"]["email"])]
        if consented:
            c = u["consenter"]["email"]
            expected += [("invitation.created", consented), ("invitation.accepted", consented),
                         ("membership.created", c), ("membership.revoked", c)]
        if colleague_joined:
            c = u["colleague"]["email"]
            expected += [("membership.created", c), ("membership.revoked", c), ("join_request.created", c), ("join_request.approved", c)]
        events_journey(s, expected)

    if not gateway:
        return finish()
    # CORS: the browser's preflight, from the frontend and from elsewhere.
    pre = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}
    status, _, h = api.call("OPTIONS", invitations, headers={"Origin": s["frontend_origin"], **pre})
    allowed = h.get("Access-Control-Allow-Origin")
    check("preflight from the frontend's origin: allowed", status < 300 and allowed == s["frontend_origin"], f"{status} {allowed}")
    methods = (h.get("Access-Control-Allow-Methods") or "").upper()
    headers = (h.get("Access-Control-Allow-Headers") or "").lower()
    check("with the methods and headers the frontend needs", all(m in methods for m in ("GET", "POST", "PATCH", "DELETE")) and "authorization" in headers and "content-type" in headers, f"{methods} / {headers}")
    # The page sends the link's token to preview in a header of its own.
    pre_preview = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "invitation-token"}
    status, _, h = api.call("OPTIONS", "/invitations/00000000-0000-4000-8000-000000000000", headers={"Origin": s["frontend_origin"], **pre_preview})
    check("preflight of a preview with its token header: allowed", status < 300 and "invitation-token" in (h.get("Access-Control-Allow-Headers") or "").lower(), f"{status} {h.get('Access-Control-Allow-Headers')}")
    # And an invite link's page, its token in another.
    pre_link = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization,invite-link-token"}
    status, _, h = api.call("OPTIONS", f"/invite-links/{s['team']}/00000000-0000-4000-8000-000000000000", headers={"Origin": s["frontend_origin"], **pre_link})
    check("preflight of an invite link's page with its token header: allowed", status < 300 and "invite-link-token" in (h.get("Access-Control-Allow-Headers") or "").lower(), f"{status} {h.get('Access-Control-Allow-Headers')}")
    status, _, h = api.call("OPTIONS", invitations, headers={"Origin": "https://evil.example", **pre})
    check("preflight from another origin: not allowed", h.get("Access-Control-Allow-Origin") in (None, ""), f"{status} {h.get('Access-Control-Allow-Origin')}")
    return finish()


def finish():
    print(f"e2e: {len(PASSED)} passed, {len(FAILED)} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
