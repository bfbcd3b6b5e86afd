"""Small synthetic tables for the AutoML and inference unit tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def mixed_frame(n: int = 300, seed: int = 0, problem: str = "binary") -> pd.DataFrame:
    """Numbers with gaps, categoricals (low and high cardinality, gaps), booleans, datetimes, an id."""
    rng = np.random.default_rng(seed)
    age = rng.normal(40, 12, n)
    income = rng.lognormal(10, 0.5, n)
    city = rng.choice(["paris", "lyon", "nice", "lille"], n)
    code = rng.choice([f"c{i}" for i in range(40)], n)
    member = rng.choice([True, False], n)
    signup = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    score = 0.04 * (age - 40) + (city == "paris") * 1.2 - member * 0.8 + rng.normal(0, 0.5, n)
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(1000, 1000 + n),
            "age": age,
            "income": income,
            "city": pd.Series(city, dtype=object),
            "code": pd.Series(code, dtype=object),
            "member": member,
            "signup": signup.strftime("%Y-%m-%dT%H:%M:%S"),
            "constant": "same",
        }
    )
    frame.loc[rng.random(n) < 0.1, "age"] = np.nan
    frame.loc[rng.random(n) < 0.05, "city"] = None
    if problem == "binary":
        frame["churn"] = np.where(score > np.median(score), "yes", "no")
    elif problem == "multiclass":
        frame["churn"] = pd.cut(score, 3, labels=["low", "mid", "high"]).astype(str)
    else:
        frame["churn"] = score * 10 + 100
    return frame
