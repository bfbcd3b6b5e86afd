"""Two uvicorn workers: /metrics, whichever worker answers, counts every request exactly once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.services.server import start_server

pytestmark = pytest.mark.e2e


def counted(text: str, route: str, status: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if (
                sample.name == "modelyard_http_requests_total"
                and sample.labels.get("route") == route
                and sample.labels.get("status_code") == status
            ):
                return sample.value
    return 0.0


def test_two_workers_count_n_requests_as_n(mongodb_url: str, tmp_path: Path) -> None:
    with start_server(mongodb_url, tmp_path, extra_env={"MODELYARD_WORKERS": "2"}) as server:
        multiproc_dir = tmp_path / "var" / "prometheus-multiproc"

        def hit(_: int) -> int:
            # A fresh connection each time, so the kernel spreads them over both workers.
            return httpx.get(server.base_url + "/api/v1/auth/me", timeout=10).status_code

        sent = 0
        with ThreadPoolExecutor(8) as pool:
            # Until both workers have counted something (each writes its own counter file).
            while sent < 400 and len(list(multiproc_dir.glob("counter_*.db"))) < 2:
                assert set(pool.map(hit, range(40))) == {401}
                sent += 40
        assert len(list(multiproc_dir.glob("counter_*.db"))) >= 2, "only one worker served requests"

        with httpx.Client(base_url=server.base_url) as http:
            http.post("/api/v1/auth/register", json={"email": "w@example.com", "password": "p" * 10})
            scrapes = [http.get("/metrics").text for _ in range(6)]
    for text in scrapes:  # several scrapes: both workers answer some, each with the merged total
        assert counted(text, "/api/v1/auth/me", "401") == sent
        assert "modelyard_build_info{" in text
        assert text.count("# TYPE modelyard_registered_users gauge") <= 1
