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
runpy.run_path(os.path.join(TOOLS, "moto_inproc_check.py"), run_name="__main__")
