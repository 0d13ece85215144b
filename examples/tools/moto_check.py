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

# ---- Amazon EFS -------------------------------------------------------------------------
# moto 5.2.1's AWS::EFS::AccessPoint has no physical resource ID (a Ref of it resolves to None,
# so a task volume's AccessPointId would be lost) and no Arn attribute; give it both, as AWS
# does. The summary then lists what EFS holds: file systems, mount targets (with their security
# groups) and access points. moto's CloudFormation handler drops a file system's
# FileSystemPolicy, and does not check that an access point's file system exists; the readback
# checks those in the template.
from moto.efs import models as efs_models  # noqa: E402

# moto_plus camel-cases the task definition's properties word by word, which turns
# EFSVolumeConfiguration, FilesystemId and IAM into eFSVolumeConfiguration, filesystemId and
# iAM, names the ECS API does not have (its are efsVolumeConfiguration, fileSystemId, iam: the
# volume's EFS configuration was lost); use the API's names.
_camel = moto_plus._camel
_api_names = {"eFSVolumeConfiguration": "efsVolumeConfiguration", "filesystemId": "fileSystemId", "iAM": "iam"}


def _renamed(obj):
    if isinstance(obj, dict):
        return {_api_names.get(k, k): _renamed(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_renamed(v) for v in obj]
    return obj


moto_plus._camel = lambda obj: _renamed(_camel(obj))

efs_models.AccessPoint.physical_resource_id = property(lambda self: self.access_point_id)


def _access_point_attribute(self, attribute_name):
    if attribute_name == "Arn":
        return self.access_point_arn
    if attribute_name == "AccessPointId":
        return self.access_point_id
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
    raise UnformattedGetAttTemplateException()


efs_models.AccessPoint.get_cfn_attribute = _access_point_attribute
efs_models.AccessPoint.has_cfn_attr = classmethod(lambda cls, attr: attr in ("Arn", "AccessPointId"))

# The shared script creates its two subnets without a zone, and moto then picks a random zone
# for each: one time in six both land in the same zone. EFS allows one mount target per zone
# (moto checks it too), and a VPC that runs tasks with persistent volumes has one task subnet
# per zone: give the subnets of a VPC the Region's zones in turn, so that the run is the same
# every time.
from moto.ec2.models import subnets as subnet_models  # noqa: E402

_create_subnet = subnet_models.SubnetBackend.create_subnet


def _create_subnet_in_turn(self, vpc_id, cidr_block, ipv6_cidr_block=None, availability_zone=None,
                           availability_zone_id=None, **kwargs):
    if availability_zone_id is None:
        count = len(self.describe_subnets(filters={"vpc-id": vpc_id}))
        zones = sorted(z.name for z in self.describe_availability_zones())
        availability_zone = zones[count % len(zones)]
    return _create_subnet(self, vpc_id, cidr_block, ipv6_cidr_block, availability_zone, None, **kwargs)


subnet_models.SubnetBackend.create_subnet = _create_subnet_in_turn

import json  # noqa: E402

_dumps = json.dumps


def _dumps_with_efs(obj, *args, **kwargs):
    if isinstance(obj, dict) and "task_definitions" in obj:
        import boto3
        efs = boto3.client("efs", region_name="us-east-1")
        obj["efs_file_systems"] = efs.describe_file_systems()["FileSystems"]
        obj["efs_mount_targets"] = []
        for fs in obj["efs_file_systems"]:
            for mt in efs.describe_mount_targets(FileSystemId=fs["FileSystemId"])["MountTargets"]:
                mt["SecurityGroups"] = efs.describe_mount_target_security_groups(
                    MountTargetId=mt["MountTargetId"])["SecurityGroups"]
                obj["efs_mount_targets"].append(mt)
        obj["efs_access_points"] = efs.describe_access_points()["AccessPoints"]
    return _dumps(obj, *args, **kwargs)


json.dumps = _dumps_with_efs

# ---- x-elbv2 -----------------------------------------------------------------------------------
# moto 5.2.1's elbv2 handlers drop the load balancer's Type (every one becomes an ALB), its
# attributes and tags, and cannot resolve GetAtt LoadBalancerFullName or TargetGroupFullName (the
# dimensions of every ALB metric). The handlers below keep Type and answer both attributes from the
# ARNs, as AWS builds them. PublicSubnetIds (internet-facing load balancers) gets the same subnets as
# SubnetIds, and each *CertificateArn parameter a certificate requested from moto's ACM. The summary gains the load
# balancers, listeners, rules and target groups, read back through the elbv2 API.
import json  # noqa: E402
from moto.cloudformation import models as cfn_models  # noqa: E402
from moto.elbv2 import models as elbv2_models  # noqa: E402


def _lb_create(cls, resource_name, cloudformation_json, account_id, region_name, **kw):
    p = cloudformation_json["Properties"]
    be = elbv2_models.elbv2_backends[account_id][region_name]
    return be.create_load_balancer(resource_name, p.get("SecurityGroups"), p.get("Subnets"),
                                   scheme=p.get("Scheme", "internet-facing"), loadbalancer_type=p.get("Type", "application"))


_lb_attr = elbv2_models.FakeLoadBalancer.get_cfn_attribute


def _lb_get_attr(self, name):
    if name == "LoadBalancerFullName":
        return self.arn.split(":loadbalancer/", 1)[1]
    return _lb_attr(self, name)


def _tg_get_attr(self, name):
    if name == "TargetGroupFullName":
        return self.arn.split(":", 5)[5]
    if name == "TargetGroupName":
        return self.name
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
    raise UnformattedGetAttTemplateException()


elbv2_models.FakeLoadBalancer.create_from_cloudformation_json = classmethod(_lb_create)
elbv2_models.FakeLoadBalancer.get_cfn_attribute = _lb_get_attr
elbv2_models.FakeTargetGroup.has_cfn_attr = classmethod(lambda cls, a: a in ("TargetGroupFullName", "TargetGroupName"))
elbv2_models.FakeTargetGroup.get_cfn_attribute = _tg_get_attr

_create_stack = cfn_models.CloudFormationBackend.create_stack


def _create_stack_with_lb_params(self, name, template, parameters, *a, **kw):
    for key in list(_declared(template)):
        if key == "PublicSubnetIds" and key not in parameters and "SubnetIds" in parameters:
            parameters[key] = parameters["SubnetIds"]
        if key.endswith("CertificateArn") and key not in parameters:
            import boto3  # moto checks that a listener's certificate exists in ACM
            acm = boto3.client("acm", region_name="us-east-1")
            parameters[key] = acm.request_certificate(DomainName="www.example.com")["CertificateArn"]
    return _create_stack(self, name, template, parameters, *a, **kw)


def _declared(text):
    import yaml

    class L(yaml.SafeLoader):
        pass
    L.add_multi_constructor("!", lambda loader, suffix, node: None)
    return set((yaml.load(text, Loader=L) or {}).get("Parameters", {}) or {})


cfn_models.CloudFormationBackend.create_stack = _create_stack_with_lb_params

_dumps_before_elbv2 = json.dumps


def _dumps_with_elbv2(obj, *a, **kw):
    if isinstance(obj, dict) and "timing_s" in obj and "task_definitions" in obj:  # the final summary
        import boto3
        elb = boto3.client("elbv2", region_name="us-east-1")
        lbs = elb.describe_load_balancers()["LoadBalancers"]
        obj["load_balancers"] = lbs
        obj["listeners"], obj["listener_rules"] = [], []
        for lb in lbs:
            for ln in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
                obj["listeners"].append(ln)
                obj["listener_rules"] += elb.describe_rules(ListenerArn=ln["ListenerArn"])["Rules"]
        obj["target_groups"] = elb.describe_target_groups()["TargetGroups"]
    return _dumps_before_elbv2(obj, *a, **kw)


json.dumps = _dumps_with_elbv2

# ---- x-dashboards ------------------------------------------------------------------------------
# The summary gains the CloudWatch dashboards with their bodies as moto stored them (Fn::Sub
# resolved), read back by readback_dashboards_test.go.
_dumps_before_dashboards = json.dumps


def _dumps_with_dashboards(obj, *a, **kw):
    if isinstance(obj, dict) and "timing_s" in obj and "task_definitions" in obj:  # the final summary
        import boto3
        cw = boto3.client("cloudwatch", region_name="us-east-1")
        obj["dashboards"] = {d["DashboardName"]: cw.get_dashboard(DashboardName=d["DashboardName"])["DashboardBody"]
                             for d in cw.list_dashboards()["DashboardEntries"]}
        obj["log_groups"] = [g["logGroupName"] for g in boto3.client("logs", region_name="us-east-1").describe_log_groups()["logGroups"]]
    return _dumps_before_dashboards(obj, *a, **kw)


json.dumps = _dumps_with_dashboards

# ---- Secrets Manager -------------------------------------------------------------------------
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

_dumps_before_secrets = json.dumps


def _dumps_with_secrets(obj, *args, **kw):
    if isinstance(obj, dict) and "ssm_parameters" in obj:
        import boto3
        sm = boto3.client("secretsmanager", region_name="us-east-1")
        obj["secrets"] = [{"Name": s["Name"], "ARN": s["ARN"], "Description": s.get("Description"),
                           "SecretString": sm.get_secret_value(SecretId=s["ARN"]).get("SecretString")}
                          for s in sm.list_secrets()["SecretList"]]
        ssm = boto3.client("ssm", region_name="us-east-1")
        obj["ssm_tiers"] = {p["Name"]: p.get("Tier") for p in ssm.describe_parameters()["Parameters"]}
    return _dumps_before_secrets(obj, *args, **kw)


json.dumps = _dumps_with_secrets

# ---- Service Connect names ---------------------------------------------------------------------
# AWS::ServiceDiscovery::HttpNamespace (the project namespace of Service Connect names), created
# through moto's own Cloud Map backend and listed in the summary as cloudmap_namespaces.
import boto3  # noqa: E402


import composex_cfn_models  # noqa: E402,F401  HttpNamespace, shared with scale/moto_nested.py


_dumps_before_names = json.dumps


def _summary_with_namespaces(obj, *a, **kw):
    """Add the Cloud Map namespaces to the summary (printed inside the emulator)."""
    if isinstance(obj, dict) and "cloudmap_services" in obj:
        obj["cloudmap_namespaces"] = boto3.client("servicediscovery", region_name="us-east-1").list_namespaces()["Namespaces"]
    return _dumps_before_names(obj, *a, **kw)


json.dumps = _summary_with_namespaces

# ---- KMS keys --------------------------------------------------------------------------------
# The summary lists the KMS keys with their rotation and key policy (x-logging.CreateKmsKey), read
# back by readback_logkms_test.go. moto's log groups drop a CloudFormation KmsKeyId, so which key a
# log group uses is checked in the template (render/logkms_test.go).
_dumps_before_kms = json.dumps


def _dumps_with_kms(obj, *args, **kw):
    if isinstance(obj, dict) and "timing_s" in obj and "task_definitions" in obj:  # the final summary
        # moto keeps a CloudFormation key's policy as the template's mapping, which its
        # GetKeyPolicy cannot encode: read the backend.
        from moto.kms.models import kms_backends
        obj["kms_keys"] = []
        for be in kms_backends["123456789012"].values():
            for key in be.keys.values():
                policy = key.policy if isinstance(key.policy, str) else _dumps_before_kms(key.policy)
                obj["kms_keys"].append({"Arn": key.arn, "Description": key.description or "",
                                        "Rotation": bool(key.key_rotation_status), "Policy": policy})
    return _dumps_before_kms(obj, *args, **kw)


json.dumps = _dumps_with_kms


runpy.run_path(os.path.join(TOOLS, "moto_inproc_check.py"), run_name="__main__")
