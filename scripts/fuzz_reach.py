"""What a schemathesis run reached, from its NDJSON report: per operation, how
many requests were sent and how they were answered, with the requests the schema
allows (schemathesis's positive cases) apart from those it generated to break
it (negative cases).

    fuzz_reach.py RUN.ndjson OPENAPI_YAML

Exits non-zero when an operation never answered with a success, or refused as
invalid (400 or 422) most of the requests the schema allows: then the schema
does not say what the API accepts, or the hooks do not reach the data the
handlers act on. Printed after each run (scripts/lib.sh, run_schemathesis).
"""

import collections
import json
import sys


def tally(path):
    counts = collections.defaultdict(collections.Counter)
    with open(path) as f:
        for line in f:
            event = json.loads(line)
            finished = event.get("ScenarioFinished")
            if not finished:
                continue
            recorder = finished["recorder"]
            # The stateful phase's scenarios span operations: each request counts for its own.
            stateful = recorder["label"] == "Stateful tests"
            if not stateful:
                counts[recorder["label"]]  # every operation, even one no request reached
            cases = recorder.get("cases", {})
            for case_id, interaction in recorder.get("interactions", {}).items():
                response = interaction.get("response")
                if not response:
                    continue
                status = response["status_code"]
                value = cases.get(case_id, {}).get("value", {})
                mode = value.get("meta", {}).get("generation", {}).get("mode", "positive")
                label = f"{value.get('method')} {value.get('path')}" if stateful else recorder["label"]
                c = counts[label]
                c["sent"] += 1
                c["2xx"] += 200 <= status < 300
                c[mode] += 1
                if mode == "positive":
                    c["positive invalid"] += status in (400, 422)
                    c["positive refused"] += 400 <= status < 500 and status not in (400, 422)
                else:
                    c["negative invalid"] += status in (400, 422)
    return counts


def operations(spec_path):
    """Every operation of the spec, labelled as schemathesis labels them."""
    import yaml

    spec = yaml.safe_load(open(spec_path))
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    return {f"{m.upper()} {path}" for path, item in spec["paths"].items() for m in item if m in methods}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    counts = tally(sys.argv[1])
    for label in operations(sys.argv[2]):
        counts[label]  # an operation no request reached is unreached, not absent
    width = max(len(label) for label in counts)
    print(f"{'operation':<{width}}  sent   2xx | positive: sent  400/422  other 4xx | negative: sent  400/422")
    unreached, refused = [], []
    for label in sorted(counts, key=lambda l: (l.split(" ", 1)[1], l)):
        c = counts[label]
        print(f"{label:<{width}}  {c['sent']:>4}  {c['2xx']:>4} |           {c['positive']:>4}  {c['positive invalid']:>7}"
              f"  {c['positive refused']:>9} |           {c['negative']:>4}  {c['negative invalid']:>7}")
        if c["2xx"] == 0:
            unreached.append(label)
        if c["positive"] and 2 * c["positive invalid"] > c["positive"]:
            refused.append(label)
    print(f"fuzz reach: {len(counts) - len(unreached)} of {len(counts)} operations answered with a success; "
          f"{sum(c['positive invalid'] for c in counts.values())} of {sum(c['positive'] for c in counts.values())} "
          "requests the schema allows were refused as invalid")
    if unreached:
        print("never answered with a success: " + ", ".join(unreached))
    if refused:
        print("refused as invalid most of the requests the schema allows: " + ", ".join(refused))
    return 1 if unreached or refused else 0


if __name__ == "__main__":
    sys.exit(main())
