"""Helpers for training, model and prediction tests: upload a CSV, train and wait (tests.services.jobs)."""

from __future__ import annotations

import io
from typing import Any

import httpx
import numpy as np
import pandas as pd

from tests.services.jobs import wait_for_job


def churn_frame(n: int = 160, seed: int = 0, problem: str = "binary") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.normal(40, 12, n).round(1)
    city = rng.choice(["paris", "lyon", "nice"], n)
    member = rng.choice(["true", "false"], n)
    signup = (pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 600, n), unit="D")).strftime(
        "%Y-%m-%d"
    )
    score = 0.05 * (age - 40) + (city == "paris") * 1.5 + rng.normal(0, 0.4, n)
    frame = pd.DataFrame({"id": np.arange(n), "age": age, "city": city, "member": member, "signup": signup})
    frame.loc[::11, "age"] = np.nan
    if problem == "binary":
        frame["target"] = np.where(score > np.median(score), "yes", "no")
    elif problem == "multiclass":
        frame["target"] = np.array(["low", "mid", "high"])[
            np.digitize(score, np.quantile(score, [0.33, 0.66]))
        ]
    else:
        frame["target"] = (score * 10 + 50).round(3)
    return frame


def to_csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


async def upload_csv(
    client: httpx.AsyncClient, headers: dict[str, str], data: bytes, name: str = "data.csv"
) -> str:
    response = await client.post(
        "/api/v1/datasets", headers=headers, files={"file": (name, io.BytesIO(data), "text/csv")}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def train(
    client: httpx.AsyncClient, headers: dict[str, str], dataset_id: str, **options: Any
) -> dict[str, Any]:
    body = {"dataset_id": dataset_id, "target": "target", "time_budget_s": 2, **options}
    response = await client.post("/api/v1/training-jobs", headers=headers, json=body)
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/api/v1/training-jobs/{response.json()['id']}"
    return await wait_for_job(client, response.headers["location"], headers)
