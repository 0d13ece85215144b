"""CloudFormation handlers moto 5.2.1 lacks, shared by every emulator run of the examples
(tools/moto_check.py) and of the generated large projects (scale/moto_nested.py). Import it after
moto_plus, whose _Base it builds on.

  * AWS::ServiceDiscovery::HttpNamespace, the project namespace of Service Connect names, created
    through moto's own Cloud Map backend.
"""
import moto_plus
from moto.cloudformation import parsing
from moto.core.common_models import CloudFormationModel
from moto.servicediscovery.models import servicediscovery_backends


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
