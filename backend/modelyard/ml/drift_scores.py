"""Drift scores of a live window against a model's reference, and the status they lead to.

Per feature (and for the model's output) from the binned counts of `ml.drift`:
- PSI (population stability index), sum of (live - reference) * ln(live / reference) over bins;
- the Jensen-Shannon distance (base 2, in [0, 1]) of the two binned distributions.
Both estimate a fixed property of the two distributions: they do not grow with the sample size,
unlike a test's statistic. Sampling noise still makes a small window's PSI positive, so a status
needs the PSI to clear two bars: the effect-size threshold (`WARN_PSI`, `DRIFT_PSI`) and the noise
floor, the PSI that identical distributions exceed with probability 0.01% at these sample sizes
(PSI ~ chi2(bins - 1) * (1/n + 1/N) under no drift). Missing-rate and unseen-category changes are
findings of their own, with thresholds on the change of the share and the same kind of noise bar.
Below `MIN_ROWS` live rows the status is `insufficient_data`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy.stats import chi2

from modelyard.ml.drift import bin_labels

Status = Literal["ok", "warn", "drift", "insufficient_data"]

MIN_ROWS = 50
"""Live rows a window needs before any status other than `insufficient_data`."""
WARN_PSI = 0.05
DRIFT_PSI = 0.15
"""PSI thresholds: a shift of the mean by half a standard deviation scores about 0.24 on 10 quantile
bins of a normal, 0.15 is about 0.4 of one, 0.05 about a quarter."""
WARN_RATE_CHANGE = 0.05
DRIFT_RATE_CHANGE = 0.1
"""Missing-rate or unseen-category share changes (absolute, e.g. 0.1 = 10 points)."""
NOISE_P = 0.0001
"""Chance that a window without drift clears the noise bar, per score."""
NOISE_Z = 3.89
"""The normal quantile of 1 - NOISE_P / 2: the noise bar of a share's change."""
SMOOTHING = 0.5
"""Pseudo-count per bin, so an empty bin on either side keeps PSI finite."""
TOP_BINS = 3
SEVERITY = {"insufficient_data": 0, "ok": 1, "warn": 2, "drift": 3}


@dataclass
class MovedBin:
    bin: str
    reference_share: float
    live_share: float


@dataclass
class Finding:
    kind: Literal["missing_rate", "unseen_categories"]
    reference_rate: float
    live_rate: float
    status: Status


@dataclass
class FeatureDrift:
    name: str
    rows: int
    psi: float | None
    js_distance: float | None
    status: Status
    top_moved_bins: list[MovedBin] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def _smoothed(counts: np.ndarray[Any, Any], total: float) -> np.ndarray[Any, Any]:
    return (counts + SMOOTHING) / (total + SMOOTHING * len(counts))


def psi(reference: np.ndarray[Any, Any], live: np.ndarray[Any, Any]) -> float:
    """PSI of two share vectors (each summing to 1, no zeros)."""
    return float(np.sum((live - reference) * np.log(live / reference)))


def js_distance(reference: np.ndarray[Any, Any], live: np.ndarray[Any, Any]) -> float:
    middle = (reference + live) / 2
    divergence = 0.5 * np.sum(reference * np.log2(reference / middle)) + 0.5 * np.sum(
        live * np.log2(live / middle)
    )
    return float(math.sqrt(max(0.0, divergence)))


def psi_noise_floor(bins: int, live_rows: int, reference_rows: int) -> float:
    """The PSI two samples of one distribution exceed with probability NOISE_P."""
    if bins < 2:
        return 0.0
    return float(chi2.isf(NOISE_P, bins - 1)) * (1 / live_rows + 1 / max(reference_rows, 1))


def _status(score: float, warn: float, drift: float, noise: float) -> Status:
    if score >= drift and score >= noise:
        return "drift"
    if score >= warn and score >= noise:
        return "warn"
    return "ok"


def rate_finding(
    kind: Literal["missing_rate", "unseen_categories"],
    reference_rate: float,
    hits: int,
    rows: int,
    reference_rows: int,
) -> Finding | None:
    """A change of a share (missing values, unseen categories) beyond threshold and noise; None
    when the share is where it was."""
    live_rate = hits / rows
    pooled = (reference_rate * reference_rows + hits) / (reference_rows + rows)
    noise = NOISE_Z * math.sqrt(max(pooled * (1 - pooled), 1e-12) * (1 / rows + 1 / max(reference_rows, 1)))
    status = _status(abs(live_rate - reference_rate), WARN_RATE_CHANGE, DRIFT_RATE_CHANGE, noise)
    if status == "ok":
        return None
    return Finding(kind, round(reference_rate, 6), round(live_rate, 6), status)


def feature_drift(
    profile: dict[str, Any], counts: list[int] | np.ndarray[Any, Any], reference_rows: int
) -> FeatureDrift:
    """Scores and status of one feature (or the output) from its window counts (bins, missing, unseen)."""
    array = np.asarray(counts, dtype=np.float64)
    binned, missing, unseen = array[:-2], int(array[-2]), int(array[-1])
    rows = int(binned.sum()) + missing
    name = profile["name"]
    if rows < MIN_ROWS:
        return FeatureDrift(name, rows, None, None, "insufficient_data")
    findings = []
    missing_finding = rate_finding("missing_rate", profile["missing_rate"], missing, rows, reference_rows)
    if missing_finding is not None:
        findings.append(missing_finding)
    if profile.get("known_complete"):
        unseen_finding = rate_finding("unseen_categories", 0.0, unseen, rows, reference_rows)
        if unseen_finding is not None:
            findings.append(unseen_finding)
    present = int(binned.sum())
    score = js = None
    status: Status = "ok"
    moved: list[MovedBin] = []
    if present >= MIN_ROWS and len(binned) > 1:
        present_reference = max(1, round(reference_rows * (1 - profile["missing_rate"])))
        expected = np.asarray(profile["shares"], dtype=np.float64) * present_reference
        reference, live = _smoothed(expected, present_reference), _smoothed(binned, present)
        score, js = psi(reference, live), js_distance(reference, live)
        status = _status(score, WARN_PSI, DRIFT_PSI, psi_noise_floor(len(binned), present, present_reference))
        moved = _top_moved(profile, np.asarray(profile["shares"]), binned / present)
    for finding in findings:
        if SEVERITY[finding.status] > SEVERITY[status]:
            status = finding.status
    rounded = None if score is None else round(score, 6)
    return FeatureDrift(name, rows, rounded, None if js is None else round(js, 6), status, moved, findings)


def _top_moved(
    profile: dict[str, Any], reference: np.ndarray[Any, Any], live: np.ndarray[Any, Any]
) -> list[MovedBin]:
    labels = bin_labels(profile)
    order = np.argsort(-np.abs(live - reference), kind="stable")[:TOP_BINS]
    return [MovedBin(labels[i], round(float(reference[i]), 6), round(float(live[i]), 6)) for i in order]


def worst(statuses: list[Status]) -> Status:
    """The most severe status, `insufficient_data` only when every one is."""
    return max(statuses, key=SEVERITY.__getitem__, default="insufficient_data")
