"""Entry point: load and validate the stack config, build the stack, export its URLs."""
import os

import pulumi

from components.stack import ObservabilityStack, StackArgs
from configs.errors import ConfigError
from configs.load import from_pulumi, load

PROJECT_ROOT = os.path.dirname(os.path.abspath(__file__))

try:
    config, secrets, warnings = load(from_pulumi(), PROJECT_ROOT)
except ConfigError as error:
    # RunError ends the program with this message alone: no traceback, no resource registered.
    raise pulumi.RunError(str(error)) from None

for warning in warnings:
    pulumi.log.warn(warning)

stack = ObservabilityStack("observability", StackArgs(config, secrets, project_root=PROJECT_ROOT))

pulumi.export("urls", stack.urls)
if stack.grafana_admin_password is not None:
    pulumi.export("grafana_admin_password", stack.grafana_admin_password)
