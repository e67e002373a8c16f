"""The Docker target emits every value in the form the Docker provider reads back, so an unchanged
stack previews with no diff (observability_stack/configs/docker_forms.py cites the provider's source for each row)."""

from __future__ import annotations

import pytest

from observability_stack.configs.docker_forms import (
    cpus_read_back,
    docker_cpus,
    duration_ns,
    go_duration,
    memory_mib,
    nano_cpus,
)
from observability_stack.configs.errors import ConfigError
from observability_stack.configs.load import load
from tools.harness.mockrun import run_program

CONTAINER = "docker:index/container:Container"

# (CPU quantity, what the provider's Read stores for it): helpers.go nanoInt64ToDecimalString, whose
# output for each NanoCPUs value was checked against Go's big.Rat.FloatString.
CPUS = [
    ("1", "1.0"),
    ("2", "2.0"),
    ("4", "4.0"),
    ("500m", "0.5"),
    ("250m", "0.25"),
    ("100m", "0.1"),
    ("1.5", "1.5"),
    ("1500m", "1.5"),
    ("10", "10."),
    ("125m", "0.125"),
]
# (duration, time.Duration.String()): what Read stores for every health-check duration.
DURATIONS = [
    ("15s", "15s"),
    ("5s", "5s"),
    ("30s", "30s"),
    ("60s", "1m0s"),
    ("1m", "1m0s"),
    ("90s", "1m30s"),
    ("500ms", "500ms"),
    ("0s", "0s"),
    ("1h", "1h0m0s"),
    ("3601s", "1h0m1s"),
    ("1.5s", "1.5s"),
]


@pytest.mark.parametrize("quantity, stored", CPUS)
def test_cpus_are_emitted_as_the_provider_reads_them_back(quantity, stored):
    assert cpus_read_back(nano_cpus(quantity)) == stored
    assert docker_cpus(quantity) == stored


@pytest.mark.parametrize("quantity, stored", [("50m", "0.1"), ("0.05", "0.1"), ("5m", "0.0")])
def test_cpus_the_provider_reads_back_as_another_amount_are_refused(quantity, stored):
    assert cpus_read_back(nano_cpus(quantity)) == stored
    with pytest.raises(ValueError, match="replace the container on every"):
        docker_cpus(quantity)


@pytest.mark.parametrize("text, canonical", DURATIONS)
def test_durations_are_emitted_as_go_prints_them(text, canonical):
    assert go_duration(text) == canonical
    assert duration_ns(canonical) == duration_ns(text)


def test_memory_is_whole_mebibytes():
    assert [memory_mib(q) for q in ("512Mi", "2Gi", "1G", "100k")] == [512, 2048, 953, 6]


def test_every_docker_container_input_is_in_its_read_back_form():
    run = run_program({})
    for container in run.of_type(CONTAINER):
        inputs = container.inputs
        assert inputs["cpus"] == cpus_read_back(round(float(inputs["cpus"].rstrip(".")) * 1e9)), container.short
        health = inputs["healthcheck"]
        for key in ("interval", "timeout", "startPeriod"):
            assert health[key] == go_duration(health[key]), (container.short, key, health[key])
        assert inputs.get("command") != [], container.short  # unset, or the provider stores the image's CMD
        assert "networkMode" not in inputs, container.short
        assert inputs["memorySwap"] == inputs["memory"], container.short  # unset reads back as 2 x memory
    loki = run.named(CONTAINER, "loki").inputs["healthcheck"]
    assert loki["startPeriod"] == "1m0s" and run.named(CONTAINER, "prometheus").inputs["cpus"] == "1.0"


def test_a_cpu_limit_without_a_stable_form_is_a_config_error():
    with pytest.raises(ConfigError) as info:
        load({"observability:grafana": {"limits": {"cpu": "50m"}, "requests": {"cpu": "50m"}}})
    assert [path for path, _ in info.value.problems] == ["grafana.limits.cpu"]
    load(
        {
            "observability:common": {"target": "kubernetes"},
            "observability:grafana": {"limits": {"cpu": "50m"}, "requests": {"cpu": "50m"}},
        }
    )
