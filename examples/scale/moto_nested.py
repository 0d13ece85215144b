"""moto server for composex's nested stacks: moto_plus (from ../shared/tools) plus the one
things moto 5.2.1 lacks for them: the HttpNamespace of Service Connect names (tools/composex_cfn_models.py) and `Fn::GetAtt [NestedStack, Outputs.Name]`, which composex
uses to pass a reference from one nested stack to another through the root.

    python3 moto_nested.py SHARED_TOOLS_DIR -H 127.0.0.1 -p PORT
"""
import sys

sys.path.insert(0, sys.argv.pop(1))
import moto_plus  # noqa: E402,F401  registers the handlers composex's resources need
import os  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import composex_cfn_models  # noqa: E402,F401  Service Connect's HttpNamespace, as in the examples
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException  # noqa: E402
from moto.cloudformation.models import Stack  # noqa: E402


def _get_cfn_attribute(self, name):
    if name.startswith("Outputs."):
        key = name[len("Outputs."):]
        for output in self.output_map.values():
            if output and output.key == key:
                return output.value
    raise UnformattedGetAttTemplateException()


Stack.get_cfn_attribute = _get_cfn_attribute
Stack.has_cfn_attr = classmethod(lambda cls, attr: attr.startswith("Outputs."))

if __name__ == "__main__":
    from moto.server import main
    main(sys.argv[1:])
