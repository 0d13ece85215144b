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
runpy.run_path(os.path.join(TOOLS, "moto_inproc_check.py"), run_name="__main__")
