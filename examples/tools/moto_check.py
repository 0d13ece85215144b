"""Deploy a template into moto in-process and print the JSON summary, exactly as the shared
moto_inproc_check.py does, plus what composex needs that moto_plus lacks:
  * the ECS service's ServiceConnectConfiguration, kept as the real API reports it (in the
    service's deployment);
  * AWS::ServiceDiscovery::HttpNamespace (the project namespace of Service Connect names),
    created through moto's own Cloud Map backend, listed in the summary as cloudmap_namespaces;
  * the PublicSubnetIds parameter, given the emulator's subnets when the template declares it
    and the caller does not.

    python3 moto_check.py SHARED_TOOLS_DIR TEMPLATE [Key=Value ...]
"""
import json
import os
import runpy
import sys

TOOLS = sys.argv.pop(1)
sys.path.insert(0, TOOLS)
import moto_plus  # noqa: E402  the shared handlers; moto_inproc_check imports the same module
from moto.ecs import models as ecs_models  # noqa: E402
from moto.cloudformation import parsing  # noqa: E402
from moto.core.common_models import CloudFormationModel  # noqa: E402
from moto.servicediscovery.models import servicediscovery_backends  # noqa: E402
import boto3  # noqa: E402
import botocore.client  # noqa: E402
import yaml  # noqa: E402

_create = ecs_models.Service.create_from_cloudformation_json  # moto_plus's handler, bound


def _create_with_service_connect(cls, resource_name, cloudformation_json, account_id, region_name, **kw):
    service = _create(resource_name, cloudformation_json, account_id, region_name, **kw)
    sc = cloudformation_json["Properties"].get("ServiceConnectConfiguration")
    if sc:
        for deployment in service.deployments:
            deployment["serviceConnectConfiguration"] = moto_plus._camel(sc)
    return service


ecs_models.Service.create_from_cloudformation_json = classmethod(_create_with_service_connect)


class HttpNamespaceCfn(moto_plus._Base, CloudFormationModel):
    __module__ = "moto.composex_check"  # moto's metaclass reads module.split(".")[1]
    ATTRS = {"Arn": "arn", "Id": "id"}

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ServiceDiscovery::HttpNamespace"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kw):
        p = cloudformation_json["Properties"]
        be = servicediscovery_backends[account_id][region_name]
        be.create_http_namespace(name=p["Name"], creator_request_id=None,
                                 description=p.get("Description"), tags=p.get("Tags", []))
        ns = next(n for n in be.namespaces.values() if n.name == p["Name"])
        o = cls()
        o.physical_resource_id = o.id = ns.id
        o.arn = ns.arn
        return o


parsing.get_model_list.cache_clear()
parsing.get_model_map.cache_clear()
parsing.get_name_type_map.cache_clear()


def _public_subnets(params):
    """Give PublicSubnetIds the subnets of SubnetIds when the template wants it."""
    given = {p["ParameterKey"]: p["ParameterValue"] for p in params.get("Parameters", [])}
    if "PublicSubnetIds" in given or "SubnetIds" not in given:
        return
    if "PublicSubnetIds" in (yaml.load(params.get("TemplateBody", ""), Loader=_Loader) or {}).get("Parameters", {}):
        params["Parameters"].append({"ParameterKey": "PublicSubnetIds", "ParameterValue": given["SubnetIds"]})


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
_make_api_call = botocore.client.BaseClient._make_api_call


def _api_call(self, operation_name, api_params):
    # moto replaces boto3's default session, so the hook sits on the client class.
    if operation_name == "CreateStack":
        _public_subnets(api_params)
    return _make_api_call(self, operation_name, api_params)


botocore.client.BaseClient._make_api_call = _api_call


_dumps = json.dumps


def _summary_with_namespaces(obj, *a, **kw):
    """Add the Cloud Map namespaces to the summary (printed inside the emulator)."""
    if isinstance(obj, dict) and "cloudmap_services" in obj:
        obj["cloudmap_namespaces"] = boto3.client("servicediscovery", region_name="us-east-1").list_namespaces()["Namespaces"]
    return _dumps(obj, *a, **kw)


json.dumps = _summary_with_namespaces


runpy.run_path(os.path.join(TOOLS, "moto_inproc_check.py"), run_name="__main__")
