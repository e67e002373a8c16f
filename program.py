"""The Pulumi program: the stack config of `Pulumi.<stack>.yaml` deployed as one ObservabilityStack.

It uses the installable package's public API only, as any other program would. `__main__.py` runs it
under the Pulumi CLI, which the real-engine tests and `make up` drive with the Python language host,
and the mock runner runs it through `__main__.py` too."""

import os

import pulumi

import observability_stack as obs

PROJECT_ROOT = os.path.dirname(os.path.abspath(__file__))


def main(project_root: str = PROJECT_ROOT) -> obs.ObservabilityStack:
    try:
        # The component validates the config before it registers anything.
        stack = obs.ObservabilityStack("observability", obs.StackArgs.from_pulumi_config(project_root))
    except obs.ConfigError as error:
        # RunError ends the program with this message alone: no traceback, no resource registered.
        raise pulumi.RunError(str(error)) from None

    pulumi.export("urls", stack.urls)
    if stack.grafana_admin_password is not None:
        pulumi.export("grafana_admin_password", stack.grafana_admin_password)
    return stack
