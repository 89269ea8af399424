"""schemathesis hooks for scripts/dev --smoke.

cargo lambda watch, the local stand-in for API Gateway, answers 500 itself, before
any function runs, when a request body is not UTF-8 (API Gateway instead hands such
a body to the function base64-encoded, and the function answers 400:
tests/tests/api/hostile.rs checks that). Those cases would test the stand-in, so
they are not sent.
"""

import schemathesis


def _utf8(value):
    if isinstance(value, (bytes, bytearray)):
        try:
            bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True


@schemathesis.hook
def filter_body(ctx, body):
    return _utf8(body)


@schemathesis.hook
def filter_case(ctx, case):
    return _utf8(case.body)


@schemathesis.hook
def map_path_parameters(ctx, path_parameters):
    # Half the generated team ids become the seeded demo team, whose owner the
    # run is signed in as, so that successes (201, 200) are generated and their
    # bodies checked against the schema too.
    if path_parameters and "teamId" in path_parameters and len(path_parameters["teamId"]) % 2 == 0:
        path_parameters["teamId"] = "demo"
    return path_parameters
