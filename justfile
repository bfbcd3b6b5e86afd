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

# Lint, then the whole test suite with coverage
test *args: lint
    {{python}} -m coverage erase
    COVERAGE_PROCESS_START="$PWD/pyproject.toml" {{python}} -m pytest {{args}}
    {{python}} -m coverage combine -q || true
    {{python}} -m coverage report

# Tests without lint or coverage, e.g. `just quick tests/unit -x`
quick *args:
    {{python}} -m pytest {{args}}

# ruff and mypy
lint:
    {{python}} -m ruff check backend tests benchmarks
    {{python}} -m ruff format --check backend tests benchmarks
    {{python}} -m mypy

# Format the code
fmt:
    {{python}} -m ruff format backend tests benchmarks
    {{python}} -m ruff check --fix backend tests benchmarks

# Export the OpenAPI spec to docs/reference/openapi.json
openapi:
    {{python}} -m modelyard export-openapi docs/reference/openapi.json
