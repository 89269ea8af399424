"""What a schemathesis run reached, from its HAR report: per operation of
docs/openapi.yaml, how many requests were sent and how they were answered
(success, refused by validation, refused otherwise), and which operations no
request succeeded on. A summary to read, printed after each run.

    fuzz_reach.py HAR_FILE OPENAPI_YAML BASE_URL
"""

import json
import re
import sys
import urllib.parse

import yaml


def operations(spec_path):
    spec = yaml.safe_load(open(spec_path))
    ops = []
    for path, item in spec["paths"].items():
        for method in item:
            if method == "parameters":
                continue
            segments = [r"[^/]*" if s.startswith("{") else re.escape(s) for s in path.strip("/").split("/")]
            pattern = "^/" + "/".join(segments) + "$"
            literal = len([s for s in path.split("/") if s and not s.startswith("{")])
            ops.append((method.upper(), path, re.compile(pattern), literal))
    return ops


def main():
    har_path, spec_path, base_url = sys.argv[1], sys.argv[2], sys.argv[3]
    prefix = urllib.parse.unquote(urllib.parse.urlsplit(base_url).path).rstrip("/")
    ops = operations(spec_path)
    counts = {(m, p): {"sent": 0, "2xx": 0, "400/422": 0, "other 4xx": 0, "5xx": 0} for m, p, _, _ in ops}
    for entry in json.load(open(har_path))["log"]["entries"]:
        method = entry["request"]["method"].upper()
        path = urllib.parse.unquote(urllib.parse.urlsplit(entry["request"]["url"]).path)
        if not path.startswith(prefix):
            continue
        path = path[len(prefix):]
        matches = [(lit, (m, p)) for m, p, rx, lit in ops if m == method and rx.match(path)]
        if not matches:
            continue
        key = max(matches)[1]
        status = entry["response"]["status"]
        c = counts[key]
        c["sent"] += 1
        if 200 <= status < 300:
            c["2xx"] += 1
        elif status in (400, 422):
            c["400/422"] += 1
        elif 400 <= status < 500:
            c["other 4xx"] += 1
        elif status >= 500:
            c["5xx"] += 1
    width = max(len(f"{m} {p}") for m, p in counts)
    print(f"{'operation':<{width}}  sent   2xx  400/422  other 4xx  5xx")
    unreached = []
    for (m, p), c in counts.items():
        print(f"{m + ' ' + p:<{width}}  {c['sent']:>4}  {c['2xx']:>4}  {c['400/422']:>7}  {c['other 4xx']:>9}  {c['5xx']:>3}")
        if c["2xx"] == 0:
            unreached.append(f"{m} {p}")
    if unreached:
        print("never answered with a success: " + ", ".join(unreached))
    reached = len(counts) - len(unreached)
    print(f"fuzz reach: {reached} of {len(counts)} operations answered with a success")
    return 0


if __name__ == "__main__":
    sys.exit(main())
