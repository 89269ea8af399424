#!/usr/bin/env python3
"""The benchmark's Lambda side: a small Lambda Runtime API (the HTTP interface
Lambda offers a function's process), the release binaries started against it
as Lambda would start them, and real requests through the emulator.

scripts/bench prepares everything (release builds, moto, a seeded table) and
calls this; run it through scripts/bench. Standard library only.

Measures, per binary (the seven functions and the hello-world baseline):
  - cold start: process start -> first poll of /runtime/invocation/next
    (median and p90 of --starts starts, round-robin across binaries); and the
    same with the CPU share Lambda gives 128 MB (a cgroup CPU quota of 1/14 of
    a core, where the machine allows one; the report says so where not);
  - warm latency: event handed over -> response posted, over 100 requests;
  - peak RSS (VmHWM) after those 100 requests;
  - the cold first answer: process start -> first response posted, with the
    AWS endpoints answering at no latency (a `Stub` replaying what the emulator
    answered), also under the CPU quota; and the requests that answer made;
The list at scale is measured in-process by bench/tools/src/bin/list_scale.rs
(see there why); `report` puts everything in one table.
"""

import argparse
import http.server
import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
import uuid

RUNTIME = "/2018-06-01/runtime"


class RuntimeApi(http.server.ThreadingHTTPServer):
    """One function instance's Runtime API: hands out queued events, collects answers."""

    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a killed function resets its connection: expected here

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.events = queue.Queue()
        self.answers = queue.Queue()
        self.first_poll = queue.Queue()
        self.polled = False

    @property
    def address(self):
        return f"127.0.0.1:{self.server_address[1]}"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes: without this, Nagle's algorithm
    # and delayed ACKs add 40 ms to every exchange.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def do_GET(self):
        api = self.server
        if self.path != f"{RUNTIME}/invocation/next":
            self.send_error(404)
            return
        if not api.polled:
            api.polled = True
            api.first_poll.put(time.perf_counter())
        event = api.events.get()
        if event is None:  # shutting down: never answer
            return
        body = json.dumps(event).encode()
        request_id = str(uuid.uuid4())
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 10_000))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:bench")
        self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        api.sent_at = time.perf_counter()

    def do_POST(self):
        api = self.server
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        received = time.perf_counter()
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()
        kind = self.path.rsplit("/", 1)[-1]  # response | error
        api.answers.put((received - api.sent_at, kind, body))


def lambda_env(runtime, name, extra):
    env = {k: v for k, v in os.environ.items() if k.startswith(("AWS_", "PATH", "HOME"))}
    env.update(
        AWS_LAMBDA_RUNTIME_API=runtime.address,
        AWS_LAMBDA_FUNCTION_NAME=name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128",
        AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
        AWS_LAMBDA_LOG_GROUP_NAME=f"/aws/lambda/{name}",
        AWS_LAMBDA_LOG_STREAM_NAME="bench",
        AWS_LAMBDA_LOG_FORMAT="JSON",
        AWS_LAMBDA_LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


# Lambda gives a function CPU in proportion to its memory: a full vCPU at
# 1,769 MB, so 128 MB gets about 1/14 of one.
LAMBDA_128MB_SHARE = 128 / 1769


class CpuShare:
    """A cgroup whose processes get `share` of one CPU (a CFS quota), as Lambda
    gives a small function; `reason` says why there is none on this machine."""

    PERIOD_US = 100_000

    def __init__(self, share):
        self.share, self.procs, self.reason = share, None, None
        quota = max(1000, round(self.PERIOD_US * share))
        name = f"bench-lambda-{os.getpid()}"
        try:
            if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):  # cgroup v2
                self.dir = f"/sys/fs/cgroup/{name}"
                os.mkdir(self.dir)
                with open(f"{self.dir}/cpu.max", "w") as f:
                    f.write(f"{quota} {self.PERIOD_US}")
            else:  # cgroup v1, the cpu controller
                self.dir = f"/sys/fs/cgroup/cpu/{name}"
                os.mkdir(self.dir)
                with open(f"{self.dir}/cpu.cfs_period_us", "w") as f:
                    f.write(str(self.PERIOD_US))
                with open(f"{self.dir}/cpu.cfs_quota_us", "w") as f:
                    f.write(str(quota))
            self.procs = f"{self.dir}/cgroup.procs"
        except OSError as e:
            self.reason = f"no CPU quota on this machine ({e.strerror}: {e.filename})"

    def enter(self):
        """Moves the calling process in (run in the child, before exec)."""
        with open(self.procs, "w") as f:
            f.write(str(os.getpid()))

    def remove(self):
        if self.procs:
            os.rmdir(self.dir)


class Instance:
    """A function process, as Lambda runs one: started, polling, answering;
    with `cpu` (a CpuShare), only with that share of a CPU."""

    def __init__(self, binary, name, extra_env, cpu=None):
        self.runtime = RuntimeApi()
        threading.Thread(target=self.runtime.serve_forever, daemon=True).start()
        env = lambda_env(self.runtime, name, extra_env)
        started = time.perf_counter()
        self.process = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        preexec_fn=cpu.enter if cpu else None)
        try:
            polled = self.runtime.first_poll.get(timeout=20)
        except queue.Empty:
            self.stop()
            err = self.process.stderr.read().decode(errors="replace")
            sys.exit(f"bench: {name} never polled the Runtime API:\n{err}")
        self.cold_start = polled - started

    def invoke(self, event):
        self.runtime.events.put(event)
        latency, kind, body = self.runtime.answers.get(timeout=30)
        if kind != "response":
            sys.exit(f"bench: invocation error {body!r}")
        return latency, json.loads(body)

    def peak_rss_kib(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return None

    def stop(self):
        self.process.kill()
        self.process.wait()
        self.runtime.events.put(None)
        self.runtime.shutdown()
        self.runtime.server_close()


# ---- a zero-latency stand-in for the AWS endpoints ---------------------------

class Stub(http.server.ThreadingHTTPServer):
    """The AWS endpoints as a function's cold first request meets them, at no
    latency: first it records, forwarding each request to the emulator
    (`upstream`) and keeping its answer; then it replays, answering each
    request at once with the answer recorded for it. A request is matched by
    its operation and, where that is stable from run to run, its item key or
    secret version (the two concurrent gets of an invite); otherwise by its
    place among the requests of its operation. Recording also counts the
    requests and the sequential round trips (a request sent while none is in
    flight starts one)."""

    daemon_threads = True

    def handle_error(self, request, client_address):
        pass

    def __init__(self, upstream):
        super().__init__(("127.0.0.1", 0), StubHandler)
        self.upstream = upstream
        self.recorded = {}  # match -> [answer, ...]
        self.replaying = None  # match -> position, while replaying
        self.lock = threading.Lock()
        self.in_flight = 0
        self.operations = []
        self.sequential = 0

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    def replay(self):
        """From now on (and for each new start: call again), answers from the recording."""
        self.replaying = {}


class StubHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def do_POST(self):
        stub = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        operation = (self.headers.get("X-Amz-Target") or f"{self.command} {self.path}").rsplit(".", 1)[-1]
        match = (operation, stable_part(operation, body))
        if stub.replaying is not None:
            with stub.lock:
                at = stub.replaying.get(match, 0)
                stub.replaying[match] = at + 1
                status, headers, answer = stub.recorded[match][at]
        else:
            with stub.lock:
                if stub.in_flight == 0:
                    stub.sequential += 1
                stub.in_flight += 1
                stub.operations.append(operation)
            try:
                status, headers, answer = forward(stub.upstream, self.command, self.path, self.headers, body)
            finally:
                with stub.lock:
                    stub.in_flight -= 1
            with stub.lock:
                stub.recorded.setdefault(match, []).append((status, headers, answer))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_GET = do_POST


def stable_part(operation, body):
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        return ""
    if operation == "GetItem":
        return json.dumps(request.get("Key"), sort_keys=True)
    if operation == "GetSecretValue":
        return request.get("VersionStage", "")
    return ""


def forward(upstream, method, path, headers, body):
    import urllib.error
    import urllib.request
    keep = {k: v for k, v in headers.items() if k.lower() not in ("host", "content-length", "connection")}
    req = urllib.request.Request(upstream + path, data=body if method != "GET" else None, method=method, headers=keep)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, got, answer = r.status, r.getheaders(), r.read()
    except urllib.error.HTTPError as e:
        status, got, answer = e.code, e.headers.items(), e.read()
    passed = [(k, v) for k, v in got if k.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server")]
    return status, passed, answer


def cold_first_answers(bins, env, events, starts, share):
    """Per binary: process start -> first answer posted, against the stub
    (after one recording start against the emulator); and the requests that
    answer took. With `share` (a CpuShare, or None) also under that quota."""
    results = {}
    for name, (event, want) in events.items():
        stub = Stub(os.environ["AWS_ENDPOINT_URL"])
        threading.Thread(target=stub.serve_forever, daemon=True).start()
        stub_env = dict(env, AWS_ENDPOINT_URL=stub.url)
        try:
            inst = Instance(bins[name], name, stub_env)
            _, resp = inst.invoke(event)
            inst.stop()
            check_answer(name, resp, want)
            timings = {"free": [], "share": []}
            for _ in range(starts):
                for kind, cpu in [("free", None), ("share", share)]:
                    if kind == "share" and cpu is None:
                        continue
                    stub.replay()
                    inst = Instance(bins[name], name, stub_env, cpu=cpu)
                    latency, resp = inst.invoke(event)
                    total = inst.cold_start + latency
                    inst.stop()
                    check_answer(name, resp, want)
                    timings[kind].append(total)
        finally:
            stub.shutdown()
            stub.server_close()
        results[name] = {"first": timings["free"], "first_share": timings["share"],
                         "operations": stub.operations, "sequential": stub.sequential}
    return results


def check_answer(name, resp, want):
    """An HTTP function's status, or what a background function answers, as expected."""
    got = resp.get("statusCode") if isinstance(resp, dict) and "statusCode" in resp else resp
    if got != want:
        sys.exit(f"bench: {name} answered {got!r}, expected {want!r}")


# ---- Lambda events, from the example requests in requests/ ------------------

def load_events(root):
    return {n[:-5]: json.load(open(os.path.join(root, "requests", n))) for n in os.listdir(os.path.join(root, "requests")) if n.endswith(".json")}


def with_path(event, path, params):
    e = json.loads(json.dumps(event))
    e["rawPath"] = path
    e["requestContext"]["http"]["path"] = path
    e["pathParameters"] = params
    return e


def as_user(event, sub, email):
    e = json.loads(json.dumps(event))
    claims = e["requestContext"]["authorizer"]["jwt"]["claims"]
    claims.update(sub=sub, email=email, email_verified="true")
    return e


def token_of(link):
    """The token of a link, which carries it in its fragment."""
    return link.split("#token=", 1)[1]


def invite_event(ev, team, email):
    e = with_path(ev["invite"], f"/teams/{team}/invitations", {"teamId": team})
    e["body"] = json.dumps({"email": email, "role": "member"})
    return e


def list_event(ev, team, sub):
    e = with_path(ev["list"], f"/teams/{team}/invitations", {"teamId": team})
    return as_user(e, sub, f"{sub}@example.com") if sub else e


def preview_event(ev, inv_id, token):
    e = with_path(ev["preview"], f"/invitations/{inv_id}", {"invitationId": inv_id})
    e["headers"]["invitation-token"] = token
    return e


def answer_event(ev, kind, inv_id, token, invitee=None):
    e = with_path(ev[kind], f"/invitations/{inv_id}/{kind}", {"invitationId": inv_id})
    e["body"] = json.dumps({"token": token})
    return as_user(e, invitee[0], invitee[1]) if invitee else e


def withdraw_event(ev, inv_id):
    return with_path(ev["withdraw"], f"/teams/demo/invitations/{inv_id}/withdraw", {"teamId": "demo", "invitationId": inv_id})


# ---- measurements ------------------------------------------------------------

def ses_delivery_report(inv_id, email):
    """SES's Delivery event for an invitation's first email, as EventBridge hands it over."""
    return {"version": "0", "source": "aws.ses", "account": ACCOUNT, "detail-type": "Email Delivered", "detail": {
        "eventType": "Delivery", "delivery": {"timestamp": "2026-11-30T10:00:01.000Z"},
        "mail": {"timestamp": "2026-11-30T10:00:00.000Z", "messageId": "bench", "destination": [email],
                 "tags": {"invitationId": [inv_id], "linkGeneration": ["0"],
                          "ses:configuration-set": [CONFIGURATION_SET]}}}}


# The account and configuration set the delivery function takes reports from.
ACCOUNT = "123456789012"
CONFIGURATION_SET = "bench"


def aws_json(target, service, body):
    """One JSON-protocol call to the emulator (it checks no signature)."""
    import urllib.request
    region = os.environ.get("AWS_REGION", "us-east-1")
    req = urllib.request.Request(os.environ["AWS_ENDPOINT_URL"], data=json.dumps(body).encode(), method="POST", headers={
        "X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.0",
        "Authorization": f"AWS4-HMAC-SHA256 Credential=test/20261130/{region}/{service}/aws4_request, SignedHeaders=host, Signature=0"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


def stream_records(table):
    """The table's change stream from its start, as GetRecords returns it."""
    arn = aws_json("DynamoDB_20120810.DescribeTable", "dynamodb", {"TableName": table})["Table"]["LatestStreamArn"]
    shards = aws_json("DynamoDBStreams_20120810.DescribeStream", "dynamodb", {"StreamArn": arn})["StreamDescription"]["Shards"]
    records = []
    for shard in shards:
        it = aws_json("DynamoDBStreams_20120810.GetShardIterator", "dynamodb", {
            "StreamArn": arn, "ShardId": shard["ShardId"], "ShardIteratorType": "TRIM_HORIZON"})["ShardIterator"]
        while it:
            page = aws_json("DynamoDBStreams_20120810.GetRecords", "dynamodb", {"ShardIterator": it, "Limit": 1000})
            if not page.get("Records"):
                break
            records += page["Records"]
            it = page.get("NextShardIterator")
    return records


def pct(values, p):
    s = sorted(values)
    return s[round((len(s) - 1) * p)]


def run(args):
    root = args.root
    ev = load_events(root)
    bins = {name: os.path.join(args.bin_dir, name) for name in ["hello-baseline"] + FUNCTIONS}
    env = {
        "TABLE_NAME": args.table,
        "SENDER_EMAIL": "invitations@example.com",
        "APP_BASE_URL": "http://localhost:3000",
        # seed-demo created this secret in the emulator, with the demo key.
        "LINK_SIGNING_SECRET_ID": os.environ["LINK_SIGNING_SECRET_ID"],
        # The warm runs send hundreds of invitations into the demo team within
        # minutes; the per-team limits would turn most into 429s and measure those.
        "MAX_OPEN_INVITATIONS": "100000",
        "MAX_EMAILS_PER_HOUR": "1000",
        # The events function publishes to the emulator's default bus.
        "EVENT_BUS_NAME": "default",
        "STACK_ACCOUNT_ID": ACCOUNT,
        "SES_CONFIGURATION_SET": CONFIGURATION_SET,
        # The role the example platform requests are signed by (requests/).
        "PLATFORM_ROLE_ARNS": "arn:aws:iam::123456789012:role/platform-teams",
    }
    results = {name: {"size": os.path.getsize(path)} for name, path in bins.items()}

    # Cold starts, round-robin so that machine noise spreads evenly.
    cold = {name: [] for name in bins}
    for _ in range(args.starts):
        for name, path in bins.items():
            inst = Instance(path, name, env)
            cold[name].append(inst.cold_start)
            inst.stop()
    for name in bins:
        results[name]["cold"] = cold[name]

    # The same with the CPU share a 128 MB function gets in Lambda, where the
    # machine allows a quota (it needs root and a cgroup cpu controller).
    share = CpuShare(LAMBDA_128MB_SHARE)
    if share.reason:
        measured_share = {"reason": share.reason}
    else:
        throttled = {name: [] for name in bins}
        try:
            for _ in range(args.starts):
                for name, path in bins.items():
                    inst = Instance(path, name, env, cpu=share)
                    throttled[name].append(inst.cold_start)
                    inst.stop()
        finally:
            share.remove()
        measured_share = {"share": LAMBDA_128MB_SHARE, "cold": throttled}

    # 100 requests per function; statuses checked, so a broken run cannot report numbers.
    run_id = uuid.uuid4().hex[:6]
    invited = []

    # Each function's cold first answer at no AWS latency (item 8 of issue 19):
    # one request of each kind, on an invitation invited for the purpose.
    first = Instance(bins["invite"], "invite", env)
    _, resp = first.invoke(invite_event(ev, "demo", f"bench-{run_id}-first@example.com"))
    first.stop()
    body = json.loads(resp["body"])
    inv_id, token, email = body["id"], token_of(body["link"]), body["email"]
    share = CpuShare(LAMBDA_128MB_SHARE)
    first_events = {
        "hello-baseline": (list_event(ev, "demo", "demo-member"), 200),
        "invite": (invite_event(ev, "demo", f"bench-{run_id}-cold@example.com"), 201),
        "list": (list_event(ev, "demo", "demo-member"), 200),
        "respond": (preview_event(ev, inv_id, token), 200),
        "withdraw": (withdraw_event(ev, inv_id), 200),
        "platform": (ev["platform-get"], 200),
        "delivery": (ses_delivery_report(inv_id, email), None),
        "events": ({"Records": stream_records(args.table)[:10]}, {"batchItemFailures": []}),
    }
    # The floor of a function that reads DynamoDB: hello-world plus one GetItem
    # (bench/sdk-floor), measured beside the functions.
    first_bins = dict(bins, **{FLOOR: os.path.join(args.bin_dir, FLOOR)})
    first_events[FLOOR] = (list_event(ev, "demo", "demo-member"), 200)
    try:
        first_answers = cold_first_answers(first_bins, env, first_events, args.starts, None if share.reason else share)
    finally:
        share.remove()

    def warm(name, requests):
        inst = Instance(bins[name], name, env)
        lat = []
        for event, want in requests:
            latency, resp = inst.invoke(event)
            # An HTTP function's status, or what a background function answers.
            got = resp.get("statusCode") if isinstance(resp, dict) and "statusCode" in resp else resp
            if got != want:
                sys.exit(f"bench: {name} answered {got!r}, expected {want!r}")
            lat.append(latency)
            yield resp
        results[name]["warm"] = lat
        results[name]["rss_kib"] = inst.peak_rss_kib()
        inst.stop()

    for _ in warm("hello-baseline", [(list_event(ev, "demo", "demo-member"), 200)] * 100):
        pass
    emails = [f"bench-{run_id}-{i}@example.com" for i in range(100)]
    for resp in warm("invite", [(invite_event(ev, "demo", e), 201) for e in emails]):
        body = json.loads(resp["body"])
        invited.append((body["id"], token_of(body["link"]), body["email"]))
    for _ in warm("list", [(list_event(ev, "demo", "demo-member"), 200)] * 100):
        pass
    respond = []
    for i, (inv_id, token, email) in enumerate(invited[:50]):
        respond.append((preview_event(ev, inv_id, token), 200))
        if i % 2:
            respond.append((answer_event(ev, "decline", inv_id, token), 200))
        else:
            respond.append((answer_event(ev, "accept", inv_id, token, (f"bench-{run_id}-{i}", email)), 200))
    for _ in warm("respond", respond):
        pass
    withdraw = [(withdraw_event(ev, inv_id), 200) for inv_id, _, _ in invited[50:]]
    withdraw += [(withdraw_event(ev, inv_id), 409) for inv_id, _, _ in invited[50:]]
    for _ in warm("withdraw", withdraw):
        pass
    for _ in warm("platform", [(ev["platform-get"], 200)] * 100):
        pass
    # SES's delivery report on each invitation sent above (the function answers null).
    for _ in warm("delivery", [(ses_delivery_report(inv_id, email), None) for inv_id, _, email in invited]):
        pass
    # The table's change stream as Lambda hands it over: 100 batches of 10
    # records, each published to EventBridge (no record left unpublished).
    records = stream_records(args.table)
    batches = [{"Records": records[i * 10:(i + 1) * 10]} for i in range(100)]
    if len(records) < 1000:
        batches = [{"Records": records[:10]}] * 100
    for _ in warm("events", [(b, {"batchItemFailures": []}) for b in batches]):
        pass

    json.dump({"results": results, "share": measured_share, "first_answers": first_answers}, sys.stdout)


# ---- the report -------------------------------------------------------------

MIB = 1024 * 1024
FUNCTIONS = ["invite", "list", "withdraw", "respond", "platform", "events", "delivery"]
FLOOR = "sdk-floor"


def report(measured, overhead_lines, sizes_arm64, trips, scale_lines, capacity_lines=(), cold_path="", close_line=""):
    """Markdown tables and one line per budget, each `ok` or `MISSED`."""
    r = measured["results"]
    hello_cold = statistics.median(r["hello-baseline"]["cold"])
    out = []
    out.append("| binary | size x86_64 | size arm64 | cold start median | p90 | vs hello | first request | warm p50 | warm p99 | peak RSS |")
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    verdicts = []
    for name in ["hello-baseline"] + FUNCTIONS:
        x = r[name]
        cold_med, cold_p90 = statistics.median(x["cold"]), pct(x["cold"], 0.9)
        ratio = cold_med / hello_cold
        arm = sizes_arm64.get(name)
        arm_text = f"{arm / MIB:.2f} MiB" if arm else "-"
        warm = x["warm"]
        out.append(
            f"| {name} | {x['size'] / MIB:.2f} MiB | {arm_text} | {cold_med * 1000:.2f} ms | {cold_p90 * 1000:.2f} ms "
            f"| {ratio:.2f}x | {warm[0] * 1000:.2f} ms | {statistics.median(warm[1:]) * 1000:.2f} ms "
            f"| {pct(warm[1:], 0.99) * 1000:.2f} ms | {x['rss_kib'] / 1024:.1f} MiB |"
        )
        if name in FUNCTIONS:
            verdicts.append((f"{name}: cold start {ratio:.2f}x hello-world", ratio <= 1.5))
            verdicts.append((f"{name}: peak RSS {x['rss_kib'] / 1024:.1f} MiB after 100 requests (budget 12 MiB)", x["rss_kib"] <= 12 * 1024))
            for arch, size in [("x86_64", x["size"]), ("arm64", arm)]:
                if size:
                    verdicts.append((f"{name}: {arch} bootstrap {size / MIB:.2f} MiB (budget 6 MiB)", size <= 6 * MIB))
    share = measured.get("share") or {"reason": "not measured"}
    out.append("")
    if "cold" in share:
        s = share["cold"]
        hello = statistics.median(s["hello-baseline"])
        out.append(f"| binary | cold start with {share['share']:.3f} of a CPU (128 MB in Lambda), median | p90 | vs hello |")
        out.append("|---|---|---|---|")
        for name in ["hello-baseline"] + FUNCTIONS:
            med, p90 = statistics.median(s[name]), pct(s[name], 0.9)
            out.append(f"| {name} | {med * 1000:.2f} ms | {p90 * 1000:.2f} ms | {med / hello:.2f}x |")
            if name in FUNCTIONS:
                verdicts.append((f"{name}: cold start at 128 MB's CPU share {med / hello:.2f}x hello-world (budget 1.5x)", med / hello <= 1.5))
    else:
        out.append(f"Cold start with 128 MB's CPU share: {share['reason']}.")
    first = measured.get("first_answers")
    if first:
        out.append("")
        hello = statistics.median(first["hello-baseline"]["first"])
        hello_share = first["hello-baseline"]["first_share"]
        hello_share = statistics.median(hello_share) if hello_share else None
        out.append("| binary | cold first answer, no AWS latency, median | p90 | vs hello "
                   "| with 128 MB's CPU share | vs hello | AWS requests | sequential |")
        out.append("|---|---|---|---|---|---|---|---|")
        floor = [FLOOR] if FLOOR in first else []
        for name in ["hello-baseline"] + floor + FUNCTIONS:
            x = first[name]
            med, p90 = statistics.median(x["first"]), pct(x["first"], 0.9)
            if x["first_share"]:
                sm = statistics.median(x["first_share"])
                share_text = f"{sm * 1000:.2f} ms | {sm / hello_share:.2f}x"
            else:
                share_text = "- | -"
            counts = {}
            for op in x["operations"]:
                counts[op] = counts.get(op, 0) + 1
            ops = ", ".join(f"{op}{f' x{n}' if n > 1 else ''}" for op, n in counts.items()) or "none"
            out.append(f"| {name} | {med * 1000:.2f} ms | {p90 * 1000:.2f} ms | {med / hello:.2f}x | {share_text} "
                       f"| {ops} | {x['sequential']} |")
            if name in FUNCTIONS:
                verdicts.append((f"{name}: cold first answer {med / hello:.2f}x hello-world's (budget 1.35x)", med / hello <= 1.35))
        if floor:
            # Not a budget: the least any function that reads DynamoDB can take.
            med = statistics.median(first[FLOOR]["first"])
            out.append("")
            out.append(f"The floor of a function that reads DynamoDB (`{FLOOR}`: hello-world plus one GetItem, "
                       f"with the functions' SDK configuration): {med / hello:.2f}x hello-world's cold first answer.")
    if cold_path:
        # bench/tools/src/bin/cold_path.rs: `median: name=µs ...`
        steps = dict(kv.split("=") for kv in cold_path.split()[1:])
        out.append("")
        out.append("| a cold instance's SDK, before the network (median of 15 processes) | µs |")
        out.append("|---|---|")
        for step, label in [("sdk_config_us", "`bootstrap::sdk_config()`"), ("client_us", "a DynamoDB client"),
                            ("first_call_us", "its first call, at an endpoint that answers at once"),
                            ("second_call_us", "its second call")]:
            out.append(f"| {label} | {steps[step]} |")
    out.append("")
    out.append("| operation | handler time outside AWS calls, p50 | p99 |")
    out.append("|---|---|---|")
    for line in overhead_lines:
        f = dict(kv.split("=") for kv in line.split()[2:])
        op = line.split()[1]
        out.append(f"| {op} | {int(f['p50_us'])} µs | {int(f['p99_us'])} µs |")
        verdicts.append((f"{op}: handler overhead p99 {int(f['p99_us'])} µs (budget 1000 µs)", int(f["p99_us"]) < 1000))
    out.append("")
    out.append("| operation | sequential DynamoDB round trips | floor |")
    out.append("|---|---|---|")
    # batch: the round-trip test's batch of 3, whose writes take turns on the
    # team's limits item (1 + 3); decline reads the invitation for its team.
    # members: the caller's permission before the page (a stranger reads nothing of the team's).
    # remove_owner: another owner found, the removal, then the open invitations the
    # removed manager sent (read after the removal's commit).
    floors = {"invite": 2, "batch": 3, "resend": 2, "list": 1, "withdraw": 1, "decline": 2, "preview": 1, "accept": 2,
              "members": 2, "roles": 1, "mine": 1, "remove_member": 2, "remove_owner": 4}
    for op, n in trips.items():
        out.append(f"| {op} | {n} | {floors[op]} |")
        verdicts.append((f"{op}: {n} sequential round trips (floor {floors[op]})", n <= floors[op]))
    if scale_lines:
        out.append("")
        out.append("| list, team of | filter | median of 30 | p90 | invitations returned | items read at most |")
        out.append("|---|---|---|---|---|---|")
        medians = {}
        for line in scale_lines:
            team = line.split()[1]
            f = dict(kv.split("=") for kv in line.split()[2:])
            medians.setdefault(f["filter"], []).append((team, float(f["median_ms"])))
            out.append(f"| {team} | {f['filter']} | {f['median_ms']} ms | {f['p90_ms']} ms | {f['items']} "
                       f"| {f['reads_at_most']} |")
            # A page of 20 is one query for 21 items, whatever the team's history.
            reads = int(f["reads_at_most"])
            verdicts.append((f"list {team} filter={f['filter']}: reads at most {reads} items (budget 21)", reads <= 21))
        for filter, pairs in medians.items():
            (small, a), (big, b) = pairs[0], pairs[-1]
            verdicts.append((f"list filter={filter}: {big} vs {small} = {b / a:.2f}x (budget < 2x)", b / a < 2))
    if capacity_lines:
        # capacity's own tables, and its budgets as `verdict ok|missed TEXT`.
        out.append("")
        for line in capacity_lines:
            if line.startswith("verdict "):
                _, result, text = line.split(" ", 2)
                verdicts.append((text, result == "ok"))
            else:
                out.append(line)
    if close_line:
        # close_scale: `close members=.. invitations=.. answer_ms=.. steps=.. total_s=.. step_p50_ms=.. step_max_ms=.. timeout_s=..`
        f = dict(kv.split("=") for kv in close_line.split()[1:])
        out.append("")
        out.append("| closing a team of | open invitations | DELETE answered in | steps (invocations) | all done in "
                   "| step p50 | slowest step | the function's timeout |")
        out.append("|---|---|---|---|---|---|---|---|")
        out.append(f"| {int(f['members']):,} members | {int(f['invitations']):,} | {f['answer_ms']} ms | {f['steps']} "
                   f"| {f['total_s']} s | {f['step_p50_ms']} ms | {f['step_max_ms']} ms | {f['timeout_s']} s |")
        slowest, timeout = float(f["step_max_ms"]) / 1000, float(f["timeout_s"])
        verdicts.append((f"closing {int(f['members']):,} members: slowest step {slowest:.1f} s, "
                         f"within half the function's {timeout:.0f} s timeout", slowest <= timeout / 2))
    out.append("")
    for text, ok in verdicts:
        out.append(f"{'ok    ' if ok else 'MISSED'} {text}")
    return "\n".join(out), all(ok for _, ok in verdicts)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--root", required=True)
    m.add_argument("--bin-dir", required=True)
    m.add_argument("--table", required=True)
    m.add_argument("--starts", type=int, default=15)
    r = sub.add_parser("report")
    r.add_argument("--measured", required=True)
    r.add_argument("--overhead", required=True, help="handler_overhead's output")
    r.add_argument("--trips", required=True, help="round_trips test output")
    r.add_argument("--arm64-dir", default="")
    r.add_argument("--scale", default="", help="list_scale's output")
    r.add_argument("--capacity", default="", help="capacity's output")
    r.add_argument("--cold-path", default="", help="cold_path's output")
    r.add_argument("--close", default="", help="close_scale's output")
    args = p.parse_args()
    if args.command == "measure":
        run(args)
        return
    measured = json.load(open(args.measured))
    overhead = [l for l in open(args.overhead).read().splitlines() if l.startswith("overhead ")]
    trips = {}
    for line in open(args.trips).read().splitlines():
        if line.startswith("round trips: "):
            op, n = line[len("round trips: "):].split()
            trips[op] = int(n)
    arm = {}
    if args.arm64_dir:
        for name in ["hello-baseline"] + FUNCTIONS:
            path = os.path.join(args.arm64_dir, name)
            if os.path.exists(path):
                arm[name] = os.path.getsize(path)
    scale = [l for l in open(args.scale).read().splitlines() if l.startswith("scale ")] if args.scale else []
    capacity = open(args.capacity).read().splitlines() if args.capacity else []
    cold_path = ""
    if args.cold_path:
        cold_path = next((l for l in open(args.cold_path).read().splitlines() if l.startswith("median: ")), "")
    close = ""
    if args.close:
        close = next((l for l in open(args.close).read().splitlines() if l.startswith("close ")), "")
    text, all_ok = report(measured, overhead, arm, trips, scale, capacity, cold_path, close)
    print(text)
    print()
    print("every budget met" if all_ok else "some budgets MISSED (see above)")


if __name__ == "__main__":
    main()
