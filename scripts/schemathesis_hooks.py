"""schemathesis hooks, for every run (through the deployed stack's API Gateway,
scripts/stack, and through the local stand-in, scripts/dev --smoke).
"""

import schemathesis


@schemathesis.hook
def map_path_parameters(ctx, path_parameters):
    # Half the generated team ids become the seeded demo team, whose owner the
    # run is signed in as, so that successes (201, 200) are generated and their
    # bodies checked against the schema too.
    if path_parameters and "teamId" in path_parameters and len(path_parameters["teamId"]) % 2 == 0:
        path_parameters["teamId"] = "demo"
    return path_parameters
