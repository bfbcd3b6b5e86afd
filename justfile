# Modelyard recipes. `./dev <recipe>` bootstraps .venv and runs these.
set shell := ["bash", "-euo", "pipefail", "-c"]

python := ".venv/bin/python"

# List the recipes
default:
    @just --list

# Serve the API on 127.0.0.1:8000 with the embedded database and filesystem store under var/
run:
    {{python}} -m modelyard dev

# Serve with settings from the environment only (production style)
serve:
    {{python}} -m modelyard serve

# pytest-xdist workers for `just test` ("auto": one per core). 3 on a 2-core machine: much of the
# suite waits on server processes, polls and subprocesses (measured: 445 s with 3, 515 s with 2).
test_workers := env("MODELYARD_TEST_WORKERS", "3")

# Lint, then the whole test suite with coverage
# Two runs, both measured by coverage (the xdist workers and every server process they start, through
# `patch = ["subprocess"]` in pyproject.toml), then one combined report that must reach `fail_under`:
# 1. everything not marked `serial`, on `test_workers` pytest-xdist workers with `--dist loadfile`:
#    the tests of one module run on one worker, so its module-scoped fixtures start once (not
#    `loadgroup`: xdist 3.8 cannot group tests under pytest 9.2, the `xdist_group` marks are ignored);
# 2. the tests marked `serial` (timing-sensitive, or they load the machine themselves), alone, without -n.
# `args` go to both runs (e.g. `just test -x`, `just test tests/e2e`); a run that selects nothing is fine.
test *args: lint
    #!/usr/bin/env bash
    set -uo pipefail
    {{python}} -m coverage erase
    status=0
    {{python}} -m coverage run -m pytest -n {{test_workers}} --dist loadfile --durations=30 -m "not serial" {{args}} || status=$?
    [ "$status" = 5 ] && status=0  # no test selected
    {{python}} -m coverage run -m pytest --durations=10 -m serial {{args}}; serial=$?
    [ "$serial" = 5 ] || [ "$status" != 0 ] || status=$serial
    {{python}} -m coverage combine -q
    {{python}} -m coverage report || [ "$status" != 0 ] || status=1
    exit "$status"

# Tests without lint or coverage, e.g. `just quick tests/unit -x`
quick *args:
    {{python}} -m pytest {{args}}

# ruff, mypy, the architecture contracts (.importlinter), module/function sizes, and the OpenAPI linter
lint: lint-openapi
    {{python}} -m ruff check backend tests benchmarks clients observability
    {{python}} -m ruff format --check backend tests benchmarks clients observability
    {{python}} -m mypy
    .venv/bin/lint-imports --no-cache
    {{python}} -m modelyard.tools.check_sizes

# Format the code
fmt:
    {{python}} -m ruff format backend tests benchmarks clients observability
    {{python}} -m ruff check --fix backend tests benchmarks clients observability

# Regenerate the Python client's models (clients/python) from the exported spec
client-models:
    # Into a temporary file first: the generator imports the package, which imports models.py.
    {{python}} -m modelyard_client._generate docs/reference/openapi.json > clients/python/models.py.new
    mv clients/python/models.py.new clients/python/src/modelyard_client/models.py

# Regenerate the README's settings table from the settings classes
readme:
    {{python}} -m modelyard.tools.docsgen readme

# Export the OpenAPI spec to docs/reference/openapi.json
openapi:
    {{python}} -m modelyard export-openapi docs/reference/openapi.json

# Pinned npm tools, installed once into .tools/: Redocly CLI and Spectral CLI (OpenAPI lint),
# Mermaid's browser bundle (served by the docs site itself, so no page loads a script from a CDN),
# and openapi-typescript with TypeScript 5.x for the generated-client test
# (tests/client/test_generated_clients.py; TypeScript 7 breaks the generators).
redocly_version := "2.77.0"
spectral_version := "6.16.3"
mermaid_version := "11.12.1"
openapi_typescript_version := "7.13.0"
typescript_version := "5.9.3"
node_env := "REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1"

# Install the pinned npm tools into .tools/ (once; a no-op when present)
node-tools:
    #!/usr/bin/env bash
    set -euo pipefail
    stamp=".tools/.installed-redocly-{{redocly_version}}-spectral-{{spectral_version}}-mermaid-{{mermaid_version}}-openapi-typescript-{{openapi_typescript_version}}-typescript-{{typescript_version}}"
    [ -f "$stamp" ] && exit 0
    command -v npm >/dev/null || { echo "modelyard: npm (Node.js 20+) is needed for lint-openapi, docs and tests" >&2; exit 1; }
    rm -rf .tools && mkdir -p .tools/mermaid
    # One install command: a later `npm install --no-save` would prune what an earlier one installed.
    {{node_env}} npm install --prefix .tools --no-save --no-audit --no-fund --loglevel=error \
        "@redocly/cli@{{redocly_version}}" "@stoplight/spectral-cli@{{spectral_version}}" \
        "openapi-typescript@{{openapi_typescript_version}}" "typescript@{{typescript_version}}"
    cd .tools
    npm pack --silent "mermaid@{{mermaid_version}}" >/dev/null
    tar xzf "mermaid-{{mermaid_version}}.tgz" package/dist/mermaid.min.js
    mv package/dist/mermaid.min.js mermaid/ && rm -rf package "mermaid-{{mermaid_version}}.tgz"
    touch "../$stamp"

# Lint docs/reference/openapi.json with Redocly CLI (rules: redocly.yaml) and Spectral (rules:
# .spectral.yaml, the `spectral:oas` ruleset; any finding, even a hint, fails)
lint-openapi: node-tools
    {{node_env}} .tools/node_modules/.bin/redocly lint --config redocly.yaml --format=stylish docs/reference/openapi.json
    {{node_env}} .tools/node_modules/.bin/spectral lint --ruleset .spectral.yaml --fail-severity=hint docs/reference/openapi.json

# Build the docs site into site/ (strict: any warning fails)
docs: node-tools
    {{python}} -m mkdocs build --strict

# Serve the docs site with live reload on http://127.0.0.1:8001
docs-serve: node-tools
    {{python}} -m mkdocs serve --dev-addr 127.0.0.1:8001

# Regenerate the Grafana dashboards (observability/grafana/dashboards/*.json) from code
dashboards:
    {{python}} observability/grafana/dashboards.py

# Start the full stack (API, MongoDB, MinIO, Prometheus, Alertmanager, Grafana) with Docker Compose
stack-up:
    #!/usr/bin/env bash
    set -euo pipefail
    mkdir -p var
    if [ ! -f var/stack.env ]; then
        umask 077
        gen() { {{python}} -c 'import secrets; print(secrets.token_urlsafe(36))'; }
        printf 'MODELYARD_JWT_SECRET=%s\nGRAFANA_ADMIN_PASSWORD=%s\nMINIO_ROOT_PASSWORD=%s\n' "$(gen)" "$(gen)" "$(gen)" > var/stack.env
        echo "modelyard: generated secrets in var/stack.env (Grafana: admin / GRAFANA_ADMIN_PASSWORD)" >&2
    fi
    docker compose -f observability/docker-compose.yml --env-file var/stack.env up -d
    echo "API http://127.0.0.1:8000  Grafana http://127.0.0.1:3000  Prometheus http://127.0.0.1:9090  Alertmanager http://127.0.0.1:9093"

# Stop the stack (volumes are kept; add -v to docker compose down to drop them)
stack-down:
    docker compose -f observability/docker-compose.yml --env-file var/stack.env down

# Metrics middleware overhead and /metrics scrape time (needs Debian `wrk`)
bench-metrics:
    {{python}} benchmarks/metrics_overhead.py

# The peers of the AutoML benchmark, in a virtualenv of their own (never the product's dependencies).
# AutoGluon's [xgboost] extra wants the CPU build `xgboost-cpu`, FLAML's [automl] the full `xgboost<3`
# (with 200 MB of CUDA NCCL); both install the same `xgboost` module. So: one CPU build that fits
# both, then FLAML without resolving its extras (its others, lightgbm, scipy, pandas and
# scikit-learn, come with AutoGluon). No extra of either pulls torch: AutoGluon's neural networks
# are skipped, as the benchmark intends.
bench_venv := ".bench-venv"
flaml_version := "2.8.0"
autogluon_version := "1.6.3"

# e.g. `just bench-automl --budgets 30 --sets digits orders --jobs 2 --json automl.json`
# Our AutoML vs the HGB default, FLAML and AutoGluon (creates .bench-venv once; docs: Benchmarks)
bench-automl *args:
    #!/usr/bin/env bash
    set -euo pipefail
    stamp="{{bench_venv}}/.installed-flaml-{{flaml_version}}-autogluon-{{autogluon_version}}"
    if [ ! -f "$stamp" ]; then
        rm -rf "{{bench_venv}}"
        {{python}} -m venv "{{bench_venv}}"
        "{{bench_venv}}/bin/python" -m pip install -q --upgrade pip
        "{{bench_venv}}/bin/python" -m pip install -q "autogluon.tabular[lightgbm,catboost,xgboost]=={{autogluon_version}}" "xgboost-cpu>=2.1.1,<3"
        "{{bench_venv}}/bin/python" -m pip install -q --no-deps "flaml=={{flaml_version}}"
        "{{bench_venv}}/bin/python" -c "import autogluon.tabular, catboost, flaml.automl, lightgbm, xgboost"
        if "{{bench_venv}}/bin/python" -c "import torch" 2>/dev/null; then echo "torch got into {{bench_venv}}" >&2; exit 1; fi
        touch "$stamp"
    fi
    {{python}} benchmarks/automl.py --bench-python "{{bench_venv}}/bin/python" {{args}}

# Every benchmark, each printing ratios against a baseline measured in the same run
# (needs Debian `wrk`; run on a quiet machine; the AutoML one last, it takes about an hour)
bench: bench-metrics
    {{python}} benchmarks/profile.py
    {{python}} benchmarks/predict.py
    {{just_executable()}} bench-automl
