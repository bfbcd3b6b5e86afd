"""Every label is bounded: a fixed set of values the metrics reference lists, or one of the few
operator-controlled labels it explains. An unknown value is recorded as `other`."""

from __future__ import annotations

from modelyard.observability import metrics as m
from modelyard.observability.definitions import LABEL_VALUES, METRICS

# Bounded by the code, explained in the reference's "Bounded labels" section.
FROM_THE_CODE = {
    "route",  # route templates of the route table
    "status_code",  # HTTP status codes (diagnosis only; ratios use status_class)
    "provider",  # the configured language model
    "model",
    "algorithm",  # estimator families training can pick
    "window",
    "stage",
    "dependency",
    "metric",
    "model_id",  # the 100 newest production models
    "version",
}


def test_every_label_is_documented_as_bounded() -> None:
    listed = {label.partition(" ")[0] for label in LABEL_VALUES}
    for spec in METRICS:
        for label in spec.labels:
            assert label in listed | FROM_THE_CODE, (spec.name, label)


def sample(name: str, **labels: str) -> float:
    return m.REGISTRY.get_sample_value(name, labels) or 0.0


def test_unknown_values_are_recorded_as_other() -> None:
    before = sample("modelyard_db_operation_duration_seconds_count", operation="other")
    m.observe_db_operation("dropDatabase", 0.001, failed=False)
    assert sample("modelyard_db_operation_duration_seconds_count", operation="other") == before + 1
    assert (
        m.REGISTRY.get_sample_value(
            "modelyard_db_operation_duration_seconds_count", {"operation": "dropDatabase"}
        )
        is None
    )
    jobs = sample("modelyard_jobs_finished_total", kind="other", status="other")
    m.observe_job_finished("export", "exploded")
    assert sample("modelyard_jobs_finished_total", kind="other", status="other") == jobs + 1
    stores = sample("modelyard_object_store_operation_errors_total", operation="other")
    m.observe_store_operation("copy", 0.01, failed=True)
    assert sample("modelyard_object_store_operation_errors_total", operation="other") == stores + 1
