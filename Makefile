# One command each: `make up` deploys the dev stack, `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STACK ?= dev
OUT ?= build/render
# A local file backend: no Pulumi Cloud account needed.
STATE_DIR ?= $(HOME)/.pulumi-observability
export PULUMI_BACKEND_URL ?= file://$(STATE_DIR)
export PULUMI_SKIP_UPDATE_CHECK = true
# The Pulumi CLI: an installed one if on PATH (it downloads its plugins), else the one `make engine`
# builds from source, with the Docker provider and the Python language host beside it.
ifeq ($(shell command -v pulumi 2>/dev/null),)
PULUMI_ENGINE := engine
export PATH := $(shell $(PYTHON) tools/engine/build.py --path):$(PATH)
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION := true
endif
# Before any resource is created: every pinned image is here or can be pulled (tools/commands/image_preflight.py).
IMAGE_PREFLIGHT ?= $(PY) -m tools.commands.image_preflight --stack $(STACK)


.PHONY: grafana-password
.PHONY: lint setup test test-fast render up down password preflight bench check-docker check-pulumi clean engine engine-path cluster cluster-down

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Grafana's LogQL grammar, which the tests parse the Loki rules with.
tools/logql/node_modules/.installed: tools/logql/package.json tools/logql/package-lock.json
	npm ci --prefix tools/logql --no-audit --no-fund --silent
	touch $@

setup: $(VENV)/.installed tools/logql/node_modules/.installed

# The real Pulumi CLI, Kubernetes provider and cluster binaries, built from Go modules into
# ~/.cache/observability-engine (cold: 35 to 60 minutes on 2 cores; then seconds).
engine:
	@$(PYTHON) tools/engine/build.py

# The one directory holding every built binary: PATH="$$(make -s engine-path):$$PATH"
engine-path:
	@$(PYTHON) tools/engine/build.py --path

# A local API server (etcd, kube-apiserver, controller manager, scheduler, kwok nodes) on loopback;
# prints its kubeconfig, whose context `observability-local` a stack's common.kubernetes.context names.
cluster: engine
	@$(PYTHON) tools/engine/cluster.py up

cluster-down:
	@$(PYTHON) tools/engine/cluster.py down

# Shuffled (pytest-randomly; the engine and Docker Engine scenarios keep their order, tests/conftest.py):
# a failure prints its seed, and `make test SEED=<seed>` runs that order again.
SEED ?= $(shell date +%s)
test: setup engine
	@echo "pytest order: --randomly-seed=$(SEED)"
	$(PY) -m pytest -q --randomly-seed=$(SEED)

# ruff, as configured in pyproject.toml: lint rules and the formatter's layout.
# ruff, and mypy (with pydantic's plugin) over the package: `cfg.prometheus.retention` is checked.
lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

# Everything but the real-engine and Docker Engine tests (promtool, amtool, prometheus and jaeger
# still come from `make engine`).
test-fast: setup engine
	$(PY) -m pytest -q -m "not engine and not docker"

render: $(VENV)/.installed
	$(PY) -m tools.commands.render --stack $(STACK) --out $(OUT)

preflight: $(VENV)/.installed
	$(PY) -m tools.commands.preflight --stack $(STACK)

bench: $(VENV)/.installed engine
	$(PY) -m tools.bench.mocks
	$(PY) -m tools.bench.engine
	$(PY) -m tools.bench.docker
	$(PY) -m tools.bench.rules

check-docker:
	@command -v docker >/dev/null 2>&1 || { echo "Docker is not installed: install Docker Engine (e.g. apt-get install docker.io) and start it"; exit 1; }
	@docker info >/dev/null 2>&1 || { echo "Docker is installed but no engine answers: start dockerd (systemctl start docker)"; exit 1; }

check-pulumi:
	@command -v pulumi >/dev/null 2>&1 || { echo "The Pulumi CLI is not installed and \`make engine\` did not build it: see https://www.pulumi.com/docs/install/"; exit 1; }

# The dev stack's secrets are encrypted with a passphrase kept next to the local state.
$(STATE_DIR)/passphrase:
	@mkdir -p $(STATE_DIR) && umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(32))" > $@

up: check-docker $(PULUMI_ENGINE) check-pulumi $(VENV)/.installed $(STATE_DIR)/passphrase
	@$(IMAGE_PREFLIGHT)
	@export PULUMI_CONFIG_PASSPHRASE_FILE=$${PULUMI_CONFIG_PASSPHRASE_FILE:-$(STATE_DIR)/passphrase}; \
	pulumi stack select $(STACK) 2>/dev/null || pulumi stack init $(STACK) --secrets-provider passphrase; \
	$(MAKE) --no-print-directory grafana-password; \
	pulumi up --yes --stack $(STACK) && pulumi stack output urls --json --stack $(STACK)

# Grafana applies its admin password only to a new data volume, and the volume outlives `make down`:
# a password kept in the stack's encrypted config (not a generated one in state) stays valid.
grafana-password:
	@pulumi config get --path 'observability:secrets.grafana_admin_password' --stack $(STACK) >/dev/null 2>&1 || \
	$(PY) -c "import secrets, sys; sys.stdout.write(secrets.token_urlsafe(24))" | \
	pulumi config set --secret --path 'observability:secrets.grafana_admin_password' --stack $(STACK)

down: check-docker $(PULUMI_ENGINE) check-pulumi $(VENV)/.installed $(STATE_DIR)/passphrase
	@export PULUMI_CONFIG_PASSPHRASE_FILE=$${PULUMI_CONFIG_PASSPHRASE_FILE:-$(STATE_DIR)/passphrase}; \
	pulumi destroy --yes --stack $(STACK); \
	echo "Data volumes are kept (retain on delete): docker volume ls --filter label=observability.stack"

password: $(PULUMI_ENGINE) check-pulumi
	@PULUMI_CONFIG_PASSPHRASE_FILE=$${PULUMI_CONFIG_PASSPHRASE_FILE:-$(STATE_DIR)/passphrase} \
	pulumi stack output grafana_admin_password --show-secrets --stack $(STACK)

clean:
	rm -rf build .pytest_cache
