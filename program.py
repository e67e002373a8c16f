"""The Pulumi program: load and validate the stack config, build the stack, export its URLs.

`__main__.py` runs it under the Pulumi CLI; the real-engine tests run the same function as an
Automation API inline program, and the mock runner through `__main__.py`."""

import os

import pulumi

from observability_stack.components.stack import ObservabilityStack, StackArgs
from observability_stack.configs.errors import ConfigError
from observability_stack.configs.load import from_pulumi, load

PROJECT_ROOT = os.path.dirname(os.path.abspath(__file__))


def main(project_root: str = PROJECT_ROOT) -> ObservabilityStack:
    try:
        config, secrets, warnings = load(from_pulumi(), project_root)
    except ConfigError as error:
        # RunError ends the program with this message alone: no traceback, no resource registered.
        raise pulumi.RunError(str(error)) from None

    for warning in warnings:
        pulumi.log.warn(warning)

    stack = ObservabilityStack("observability", StackArgs(config, secrets, project_root=project_root))

    pulumi.export("urls", stack.urls)
    if stack.grafana_admin_password is not None:
        pulumi.export("grafana_admin_password", stack.grafana_admin_password)
    return stack
