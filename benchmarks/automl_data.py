"""The tables of `benchmarks/automl.py`: scikit-learn's bundled sets and four synthetic ones.

Every table has its target in column `y`. The synthetic sets are generated from fixed seeds
(the same rows on every run and machine with the same numpy) and between them cover what
real-world tables have and the bundled sets lack:

| set | rows | problem | what it covers |
| --- | --- | --- | --- |
| `orders` | 24,000 | binary | a high-cardinality categorical (3,000 merchants), low-cardinality ones, dates |
| `housing_missing` | 10,000 | regression | 15% of every feature's values missing (numbers, categoricals) |
| `fraud_rare` | 12,000 | binary | 5% positives; interactions; a 200-level categorical |
| `visits` | 8,000 | multiclass | datetimes (weekday and season effects), low-cardinality categoricals |

This module needs only numpy, pandas and scikit-learn: it is imported by the orchestrator
in the product's virtualenv, never by the peers' runner.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine


def _sklearn(loader: Any) -> pd.DataFrame:
    frame: pd.DataFrame = loader(as_frame=True).frame
    return frame.rename(columns={"target": "y"})


def _sigmoid(x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return 1.0 / (1.0 + np.exp(-x))


def orders(n: int = 24_000, seed: int = 101) -> pd.DataFrame:
    """Was an order returned? Merchant (3,000 levels, Zipf-like frequencies) carries much of it."""
    rng = np.random.default_rng(seed)
    merchants = 3000
    weights = 1.0 / np.arange(1, merchants + 1) ** 0.8
    merchant = rng.choice(merchants, n, p=weights / weights.sum())
    merchant_effect = rng.normal(0.0, 0.9, merchants)[merchant]
    channel = rng.choice(["web", "app", "store", "phone"], n, p=[0.5, 0.3, 0.15, 0.05])
    country = rng.choice([f"country_{i:02d}" for i in range(12)], n)
    amount = rng.lognormal(3.5, 0.9, n)
    tenure_days = rng.gamma(2.0, 200.0, n)
    ordered_at = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 730 * 24 * 60, n), unit="min")
    weekend = ordered_at.day_of_week.to_numpy() >= 5
    december = ordered_at.month.to_numpy() == 12
    night = (ordered_at.hour.to_numpy() < 6).astype(float)
    logit = (
        0.7 * (np.log(amount) - 3.5)
        - 0.002 * np.minimum(tenure_days, 600)
        + merchant_effect
        + 0.6 * weekend
        + 0.8 * december
        + 0.5 * night
        + np.select([channel == "app", channel == "phone"], [0.4, -0.6], 0.0)
        - 0.3
    )
    return pd.DataFrame(
        {
            "amount": amount.round(2),
            "tenure_days": tenure_days.round(0),
            "channel": channel,
            "country": country,
            "merchant": np.char.add("m", merchant.astype(str)),
            "ordered_at": ordered_at,
            "y": np.where(rng.random(n) < _sigmoid(logit), "returned", "kept"),
        }
    )


def housing_missing(n: int = 10_000, seed: int = 202) -> pd.DataFrame:
    """A price with non-linear effects; then 15% of every feature's values are removed (MCAR)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (n, 8))
    district = rng.integers(0, 30, n)
    kind = rng.choice(["flat", "house", "loft", "studio", "villa"], n)
    price = (
        10 * np.sin(np.pi * x[:, 0] * x[:, 1])
        + 20 * (x[:, 2] - 0.5) ** 2
        + 10 * x[:, 3]
        + 5 * x[:, 4]
        + rng.normal(0, 1.5, 30)[district]
        + np.select([kind == "villa", kind == "studio"], [4.0, -2.0], 0.0)
        + rng.normal(0, 2.0, n)
    )
    frame = pd.DataFrame({f"x{i}": x[:, i] for i in range(8)})
    frame["district"] = pd.Series(np.char.add("d", district.astype(str)), dtype=object)
    frame["kind"] = pd.Series(kind, dtype=object)
    for column in frame.columns:
        frame.loc[rng.random(n) < 0.15, column] = None if frame[column].dtype == object else np.nan
    frame["y"] = price
    return frame


def fraud_rare(n: int = 12_000, seed: int = 303) -> pd.DataFrame:
    """Fraud or not: exactly 5% positives, from interactions of numbers and two categoricals."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (n, 10))
    device = rng.choice(["ios", "android", "web", "tablet", "tv", "other"], n)
    category = rng.integers(0, 200, n)
    score = (
        1.2 * x[:, 0] * x[:, 1]
        + np.abs(x[:, 2]) * 1.5
        - x[:, 3]
        + 0.8 * np.maximum(x[:, 4], 0)
        + rng.normal(0, 1.0, 200)[category]
        + (device == "other") * 1.0
        + rng.normal(0, 1.0, n)
    )
    positive = score >= np.quantile(score, 0.95)
    frame = pd.DataFrame({f"v{i}": x[:, i] for i in range(10)})
    frame["device"] = device
    frame["category"] = np.char.add("cat", category.astype(str))
    frame["y"] = np.where(positive, "fraud", "ok")
    return frame


def visits(n: int = 8_000, seed: int = 404) -> pd.DataFrame:
    """Which of four plans a visitor picks: date (weekday, season), region, device and usage."""
    rng = np.random.default_rng(seed)
    visited_at = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 3 * 365 * 24, n), unit="h")
    region = rng.choice([f"region_{i}" for i in range(8)], n)
    device = rng.choice(["mobile", "desktop", "tablet"], n, p=[0.6, 0.3, 0.1])
    usage = rng.gamma(2.0, 5.0, n)
    weekday = visited_at.day_of_week.to_numpy()
    season = np.cos(2 * np.pi * visited_at.day_of_year.to_numpy() / 365.25)
    region_effect = rng.normal(0, 0.7, (8, 4))[np.char.rpartition(region.astype(str), "_")[:, 2].astype(int)]
    scores = np.stack(
        [
            0.0 * usage,
            0.08 * usage - 0.8 + 0.6 * (weekday >= 5),
            0.15 * usage - 2.0 + 1.0 * season + 0.5 * (device == "desktop"),
            0.2 * usage - 3.5 - 0.8 * season + 0.9 * (device == "tablet"),
        ],
        axis=1,
    )
    scores += region_effect + rng.gumbel(0, 1.0, (n, 4))
    plans = np.array(["free", "basic", "pro", "team"])
    return pd.DataFrame(
        {
            "visited_at": visited_at,
            "region": region,
            "device": device,
            "usage": usage.round(2),
            "y": plans[np.argmax(scores, axis=1)],
        }
    )


DATASETS: dict[str, Callable[[], pd.DataFrame]] = {
    "breast_cancer": lambda: _sklearn(load_breast_cancer),
    "wine": lambda: _sklearn(load_wine),
    "digits": lambda: _sklearn(load_digits),
    "diabetes": lambda: _sklearn(load_diabetes),
    "orders": orders,
    "housing_missing": housing_missing,
    "fraud_rare": fraud_rare,
    "visits": visits,
}
