"""schemathesis hooks, for every run (through the deployed stack's API Gateway,
scripts/stack, and through the local stand-in, scripts/smoke).
"""

import re

import schemathesis


@schemathesis.hook
def map_path_parameters(ctx, path_parameters):
    # Half the generated team ids become the seeded demo team, whose owner the
    # run is signed in as, so that successes (201, 200) are generated and their
    # bodies checked against the schema too.
    # Only a team id the schema allows: an invalid one belongs to a negative case,
    # which must stay invalid to be refused.
    team = (path_parameters or {}).get("teamId")
    if isinstance(team, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", team) and len(team) % 2 == 0:
        path_parameters["teamId"] = "demo"
    return path_parameters
