"""Deploy a template into moto in-process and print the JSON summary, exactly as the shared
moto_inproc_check.py does, plus the one property composex needs that moto_plus drops: the ECS
service's ServiceConnectConfiguration, kept as the real API reports it (in the service's
deployment).

    python3 moto_check.py SHARED_TOOLS_DIR TEMPLATE [Key=Value ...]
"""
import os
import runpy
import sys

TOOLS = sys.argv.pop(1)
sys.path.insert(0, TOOLS)
import moto_plus  # noqa: E402  the shared handlers; moto_inproc_check imports the same module
from moto.ecs import models as ecs_models  # noqa: E402

_create = ecs_models.Service.create_from_cloudformation_json  # moto_plus's handler, bound


def _create_with_service_connect(cls, resource_name, cloudformation_json, account_id, region_name, **kw):
    service = _create(resource_name, cloudformation_json, account_id, region_name, **kw)
    sc = cloudformation_json["Properties"].get("ServiceConnectConfiguration")
    if sc:
        for deployment in service.deployments:
            deployment["serviceConnectConfiguration"] = moto_plus._camel(sc)
    return service


ecs_models.Service.create_from_cloudformation_json = classmethod(_create_with_service_connect)

# moto 5.2.1 has no CloudFormation handler for AWS::SecretsManager::Secret
# (the stack skips it); this one creates the secret through moto's own
# backend, with its value or a generated one, and Ref gives the ARN.
import json as _json  # noqa: E402
from moto.core.common_models import CloudFormationModel  # noqa: E402
from moto.secretsmanager.models import secretsmanager_backends  # noqa: E402


class SecretCfn(moto_plus._Base, CloudFormationModel):
    __module__ = "moto.composex_examples"  # moto's metaclass reads module.split(".")[1]
    ATTRS = {"Id": "physical_resource_id"}

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SecretsManager::Secret"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kw):
        p = cloudformation_json["Properties"]
        be = secretsmanager_backends[account_id][region_name]
        value = p.get("SecretString")
        g = p.get("GenerateSecretString")
        if g is not None:
            value = be.get_random_password(int(g.get("PasswordLength", 32)), g.get("ExcludeCharacters", ""),
                                           bool(g.get("ExcludeNumbers")), bool(g.get("ExcludePunctuation")),
                                           bool(g.get("ExcludeUppercase")), bool(g.get("ExcludeLowercase")),
                                           bool(g.get("IncludeSpace")), bool(g.get("RequireEachIncludedType", True)))
            value = _json.loads(value)["RandomPassword"]
        out = be.create_secret(name=p.get("Name", resource_name), secret_string=value, secret_binary=None,
                               description=p.get("Description"), tags=p.get("Tags", []), kms_key_id=p.get("KmsKeyId"),
                               client_request_token=None, replica_regions=[], force_overwrite=False)
        o = cls()
        o.physical_resource_id = _json.loads(out)["ARN"]
        return o


# The summary also lists the Secrets Manager secrets with their values and
# the SSM parameters' tiers (get_parameter, which the summary uses, has no
# tier), read while the emulator still runs: moto_inproc_check encodes the
# summary with json.dumps inside its mock.
import json  # noqa: E402

_dumps = json.dumps


def _dumps_with_secrets(obj, *args, **kw):
    if isinstance(obj, dict) and "ssm_parameters" in obj:
        import boto3
        sm = boto3.client("secretsmanager", region_name="us-east-1")
        obj["secrets"] = [{"Name": s["Name"], "ARN": s["ARN"], "Description": s.get("Description"),
                           "SecretString": sm.get_secret_value(SecretId=s["ARN"]).get("SecretString")}
                          for s in sm.list_secrets()["SecretList"]]
        ssm = boto3.client("ssm", region_name="us-east-1")
        obj["ssm_tiers"] = {p["Name"]: p.get("Tier") for p in ssm.describe_parameters()["Parameters"]}
    return _dumps(obj, *args, **kw)


json.dumps = _dumps_with_secrets
runpy.run_path(os.path.join(TOOLS, "moto_inproc_check.py"), run_name="__main__")
