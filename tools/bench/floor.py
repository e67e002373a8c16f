"""The benchmark's floor: a bare Pulumi program that registers the same resources as a stack, with
the same inputs, and does nothing else (no config model, no renderers, no components).

tools/bench/mocks.py runs it through tools.harness.mockrun.run_program(program=...), so the SDK and the mocks
cost the same as for the real program; the difference is what the real program adds."""

import json
import os

import pulumi

# [[type, name, custom, inputs], ...] recorded from a run of the real program.
with open(os.environ["BENCH_FLOOR_SHAPE"]) as handle:
    shape = json.load(handle)

for index, (type_, name, custom, inputs) in enumerate(shape):
    if custom:
        pulumi.CustomResource(type_, f"{name}-{index}", dict(inputs))
    else:
        # Components send no inputs to the engine: only their registration costs.
        pulumi.ComponentResource(type_, f"{name}-{index}")
