#!/usr/bin/env python3
"""Deploys template.yaml to a local AWS emulator (MiniStack) the way `sam deploy`
deploys it to AWS, with what the stack expects to find outside itself, and
writes what a client needs to call it to a JSON file.

    stack.py deploy --bin-dir DIR --admin PATH --out .local/stack.json

(A fresh ID token for one of its users: scripts/suite.py token USER.)

DIR holds one binary per function (invite, list, withdraw, respond, platform,
events, closing, delivery, remind, links), built for this machine without the `dev` feature. AWS_ENDPOINT_URL names the emulator. scripts/stack runs
this; run it through that.

Outside the stack, as in AWS: a Cognito user pool (the JWT issuer) with an app
client and users whose addresses are verified (and one whose address is not),
the link-signing secret, the SES sender identity, and the demo team (for
people trying the product: scripts/dev), seeded with `invitations-admin` into
the table the stack created; and a subscriber to the stack's event bus (a rule
feeding a queue), as another service would be. The test suites make teams and
users of their own (scripts/suite.py).

What the emulator does not do, and so this script does after the deploy (each
is a gap of MiniStack 1.5.33, docs/deploy.md):
  - CloudWatch alarms built with metric math roll the stack back: the API's
    5xx-rate alarm is left out (the template tests hold it);
  - TimeToLiveSpecification is ignored: TTL is turned on with UpdateTimeToLive;
  - a CorsConfiguration set through CloudFormation is stored but not applied:
    it is applied again, with the template's values, through UpdateApi.
"""

import argparse
import io
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.parse
import zipfile

import boto3
from cfnlint.decode import cfn_yaml

from suite import cognito_token, cognito_user

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STACK = "team-invitations-local"
TEAM = "demo"
TEAM_NAME = "Demo Team"
SENDER = "invitations@example.com"
FRONTEND = os.environ.get("APP_BASE_URL", "http://localhost:3000")
FUNCTIONS = {"InviteFunction": "invite", "ListFunction": "list", "WithdrawFunction": "withdraw", "RespondFunction": "respond",
             "PlatformFunction": "platform", "EventsFunction": "events", "ClosingFunction": "closing",
             "DeliveryFunction": "delivery", "RemindFunction": "remind", "LinksFunction": "links"}
# name -> (email, verified, role in the demo team or None)
USERS = {
    "owner": ("owner@example.com", True, "owner"),
    "admin": ("admin@example.com", True, "administrator"),
    "member": ("member@example.com", True, "member"),
    "ada": ("ada@example.com", True, None),
    "bo": ("bo@example.com", True, None),
    "eve": ("eve@example.com", False, None),
}
# Local only: these users exist in a throwaway emulator.
PASSWORD = "Local-only-Passw0rd!"


def client(service):
    return boto3.client(service, endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name=os.environ.get("AWS_REGION", "us-east-1"))


def log(msg):
    print(f"stack: {msg}", flush=True)


def identity_provider():
    """The user pool, an app client (the audience), a second one (another
    audience, which the authorizer must refuse), and the users."""
    idp = client("cognito-idp")
    pool = idp.create_user_pool(PoolName="team-invitations-local", AutoVerifiedAttributes=["email"])["UserPool"]["Id"]
    flows = ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    # The frontend signs in through the managed login page: the authorization-code
    # flow with PKCE, back to its callback (web/README.md). The password flows are
    # for the tests' tokens.
    web = idp.create_user_pool_client(
        UserPoolId=pool,
        ClientName="web",
        ExplicitAuthFlows=flows,
        SupportedIdentityProviders=["COGNITO"],
        AllowedOAuthFlows=["code"],
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthScopes=["openid", "email"],
        CallbackURLs=[f"{FRONTEND}/auth/callback"],
        LogoutURLs=[f"{FRONTEND}/signed-out"],
    )["UserPoolClient"]["ClientId"]
    other = idp.create_user_pool_client(UserPoolId=pool, ClientName="another-app", ExplicitAuthFlows=flows)["UserPoolClient"]["ClientId"]
    users = {}
    for name, (email, verified, role) in USERS.items():
        sub = cognito_user(pool, name, email, verified, PASSWORD)
        users[name] = {"username": name, "email": email, "sub": sub, "verified": verified, "role": role}
    return pool, web, other, users


def upload_code(bin_dir):
    """Each function's binary (scripts/stack strips them) as `bootstrap` in a
    zip, in the emulator's S3."""
    s3 = client("s3")
    bucket = "team-invitations-local-code"
    s3.create_bucket(Bucket=bucket)
    locations = {}
    for logical, binary in FUNCTIONS.items():
        with open(os.path.join(bin_dir, binary), "rb") as f:
            code = f.read()
        # The stack runs what AWS would: no development aid compiled in.
        if b"LOCAL_INSECURE_AUTH" in code:
            sys.exit(f"stack: {binary} was built with the `dev` feature; build it alone (cargo build -p {binary})")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            info = zipfile.ZipInfo("bootstrap")
            info.external_attr = 0o755 << 16
            z.writestr(info, code)
        key = f"{binary}.zip"
        s3.put_object(Bucket=bucket, Key=key, Body=buf.getvalue())
        locations[logical] = {"Bucket": bucket, "Key": key}
    return locations


def template_for_emulator(code):
    """template.yaml as deployed, but for the code's location and the alarm the
    emulator cannot create (see the module notes)."""
    t = cfn_yaml.load(os.path.join(ROOT, "template.yaml"))
    for logical, location in code.items():
        t["Resources"][logical]["Properties"]["CodeUri"] = location
        t["Resources"][logical].pop("Metadata", None)
    t["Resources"].pop("Api5xxRateAlarm")
    return json.dumps(t)


def deploy(template_body, parameters):
    # From S3, as `sam deploy` (resolve_s3) passes it: CloudFormation takes at
    # most 51,200 bytes of template inline, and the template is larger.
    bucket, key = "team-invitations-local-code", "template.json"
    client("s3").put_object(Bucket=bucket, Key=key, Body=template_body.encode())
    cfn = client("cloudformation")
    cfn.create_stack(
        StackName=STACK,
        TemplateURL=f"{os.environ['AWS_ENDPOINT_URL'].rstrip('/')}/{bucket}/{key}",
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    for _ in range(600):
        stack = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
        status = stack["StackStatus"]
        if status == "CREATE_COMPLETE":
            return stack
        if not status.endswith("IN_PROGRESS"):
            events = cfn.describe_stack_events(StackName=STACK)["StackEvents"]
            failed = [f'{e["LogicalResourceId"]}: {e.get("ResourceStatusReason", "")}' for e in events if "FAILED" in e["ResourceStatus"]]
            sys.exit(f"stack: deploy ended {status}:\n  " + "\n  ".join(failed))
        time.sleep(0.5)
    sys.exit("stack: deploy did not finish in 5 minutes")


def physical_id(logical):
    res = client("cloudformation").describe_stack_resource(StackName=STACK, LogicalResourceId=logical)
    return res["StackResourceDetail"]["PhysicalResourceId"]


def after_deploy(parameters):
    table = physical_id("InvitationsTable")
    ddb = client("dynamodb")
    ddb.update_time_to_live(TableName=table, TimeToLiveSpecification={"AttributeName": "purgeAt", "Enabled": True})
    ttl = ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    if (ttl.get("AttributeName"), ttl.get("TimeToLiveStatus")) != ("purgeAt", "ENABLED"):
        sys.exit(f"stack: TTL on the table is {ttl}, not purgeAt ENABLED")
    api_id = physical_id("HttpApi")
    cors = cfn_yaml.load(os.path.join(ROOT, "template.yaml"))["Resources"]["HttpApi"]["Properties"]["CorsConfiguration"]
    client("apigatewayv2").update_api(
        ApiId=api_id,
        CorsConfiguration={
            "AllowOrigins": [parameters["FrontendOrigin"]],
            "AllowMethods": list(cors["AllowMethods"]),
            "AllowHeaders": list(cors["AllowHeaders"]),
            "ExposeHeaders": list(cors["ExposeHeaders"]),
            "MaxAge": int(cors["MaxAge"]),
        },
    )
    return table, api_id


def subscribe(bus):
    """A subscriber to every event of the service on `bus`: an SQS queue behind
    a rule, as a consuming service would set one up (docs/events.md)."""
    sqs, events = client("sqs"), client("events")
    url = sqs.create_queue(QueueName="team-invitations-local-subscriber")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="team-invitations-local-subscriber", EventBusName=bus,
                    EventPattern=json.dumps({"source": ["team-invitations"]}))
    events.put_targets(Rule="team-invitations-local-subscriber", EventBusName=bus,
                       Targets=[{"Id": "queue", "Arn": arn}])
    return url


def stack_outputs():
    stack = client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def seed(admin, table, users):
    env = dict(os.environ, TABLE_NAME=table)
    owner = users["owner"]
    run = lambda *args: subprocess.run([admin, *args], env=env, check=True, stdout=subprocess.DEVNULL)
    run("create-team", "--team-id", TEAM, "--name", TEAM_NAME, "--owner-id", owner["sub"], "--owner-email", owner["email"])
    for name in ("admin", "member"):
        u = users[name]
        run("add-member", "--team-id", TEAM, "--user-id", u["sub"], "--email", u["email"], "--role", u["role"])


def iam_user(name, region):
    """An IAM user with an access key that signs calls to the team routes, and
    its ARN (the caller API Gateway's IAM authorizer names; docs/deploy.md has
    the policy it needs in AWS; the emulator resolves the key but verifies
    neither signature nor policy)."""
    iam = client("iam")
    try:
        arn = iam.create_user(UserName=name)["User"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        arn = iam.get_user(UserName=name)["User"]["Arn"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return arn, {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"], "region": region}


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("deploy")
    d.add_argument("--bin-dir", required=True)
    d.add_argument("--admin", required=True, help="the invitations-admin binary")
    d.add_argument("--out", required=True)
    args = p.parse_args()
    endpoint = os.environ["AWS_ENDPOINT_URL"].rstrip("/")
    region = os.environ.get("AWS_REGION", "us-east-1")

    pool, web, other, users = identity_provider()
    log(f"user pool {pool}, app client {web}, {len(users)} users")
    secret_name = "team-invitations/local/link-signing-secret"
    client("secretsmanager").create_secret(Name=secret_name, SecretString=secrets.token_urlsafe(48))
    client("sesv2").create_email_identity(EmailIdentity=SENDER)
    code = upload_code(args.bin_dir)
    # The platform (standing for its role), the one principal the platform
    # routes admit; and another principal of the account, which they refuse.
    platform_arn, platform = iam_user("platform", region)
    _, stranger = iam_user("not-the-platform", region)
    parameters = {
        "Architecture": "x86_64" if os.uname().machine == "x86_64" else "arm64",
        "JwtIssuer": f"https://cognito-idp.{region}.amazonaws.com/{pool}",
        "JwtAudience": web,
        "FrontendOrigin": FRONTEND,
        "SenderEmail": SENDER,
        "AppBaseUrl": FRONTEND,
        "LinkSigningSecretName": secret_name,
        "PlatformRoleArns": platform_arn,
    }
    started = time.monotonic()
    deploy(template_for_emulator(code), parameters)
    table, api_id = after_deploy(parameters)
    log(f"deployed {STACK} in {time.monotonic() - started:.1f} s: API {api_id}, table {table}")
    seed(args.admin, table, users)
    log(f"seeded team {TEAM!r}: owner, admin, member")
    outputs = stack_outputs()
    subscriber = subscribe(outputs["EventBusName"])
    log(f"subscribed a queue to the bus {outputs['EventBusName']}")

    for name, u in users.items():
        u["token"] = cognito_token(pool, web, name, PASSWORD)
    out = {
        "api": f"{endpoint}/_aws/execute-api/{api_id}/$default",
        "api_id": api_id,
        "endpoint": endpoint,
        "region": region,
        "stack": STACK,
        "table": table,
        "team": TEAM,
        "team_name": TEAM_NAME,
        "frontend_origin": FRONTEND,
        "user_pool": pool,
        "app_client": web,
        "issuer": parameters["JwtIssuer"],
        "password": PASSWORD,
        "users": users,
        # Signed by the same pool, for another app: the authorizer must refuse it.
        "other_audience_token": cognito_token(pool, other, "owner", PASSWORD),
        "other_app_client": other,
        "gateway": True,
        "ses_messages": f"{endpoint}/_ministack/ses/messages",
        "platform": platform,
        "platform_stranger": stranger,
        # The subscriber's queue, read without receiving (the emulator's peek),
        # and where SES's reports reach the delivery function (as EventBridge
        # invokes it; the emulator's SES does not publish them itself).
        "events_received": f"{endpoint}/_ministack/sqs/messages?QueueUrl={urllib.parse.quote(subscriber, safe='')}",
        "event_bus": outputs["EventBusName"],
        # Where the delivery function takes reports from (it drops others).
        "account": platform_arn.split(":")[4],
        "ses_configuration_set": outputs["EmailConfigurationSetName"],
        "delivery_invoke": f"{endpoint}/2015-03-31/functions/{outputs['DeliveryFunctionName']}/invocations",
        # Where a run of the reminders is started (as the schedule does), and
        # the operator's command, which moves an invitation on in time where
        # the emulator's clock cannot (a reminder due now, an expiry passed).
        "remind_invoke": f"{endpoint}/2015-03-31/functions/{outputs['RemindFunctionName']}/invocations",
        "admin": os.path.abspath(args.admin),
    }
    with open(args.out, "w") as f:
        json.dump(out, f, indent=2)
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
