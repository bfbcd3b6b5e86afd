"""What predictions tell monitoring, held in memory until a flusher writes it.

Online predictions add their rows (the values the model read, and its outputs) and a record per
prediction (id, output, time; no inputs); batch predictions add counts already binned by the
worker. `workflows.monitoring` takes it all every flush interval, bins the rows against the
model's reference and adds the counts to hourly sketches in the database, so the request path
does no database write and no binning. A failed flush puts the counts and records back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId

from modelyard.lib.clock import utcnow

MAX_ROWS_PER_FLUSH = 200_000
"""Online rows one model keeps between two flushes (its memory bound); rows beyond it still get a
prediction record but are left out of the sketches, and counted in `dropped`."""

HourKey = tuple[str, datetime]
"""(model id, start of the hour)."""


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


@dataclass
class ObservedRows:
    """One model's online rows of one hour: feature values by column, and the model's outputs."""

    columns: dict[str, list[Any]] = field(default_factory=dict)
    outputs: list[Any] = field(default_factory=list)


@dataclass
class PredictionRecords:
    """Predictions kept for feedback, column by column (few objects for the garbage collector to
    walk on the request path): id, model, output label, score, time; never the inputs. The score
    is the positive class's probability (binary) or the predicted value (regression), else None."""

    ids: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    labels: list[Any] = field(default_factory=list)
    scores: list[float | None] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)

    def add(
        self, model_id: str, ids: list[str], labels: list[Any], scores: list[Any] | None, at: datetime
    ) -> None:
        n = len(ids)
        self.ids.extend(ids)
        self.models.extend([model_id] * n)
        self.labels.extend(labels)
        self.scores.extend(scores if scores is not None else [None] * n)
        self.times.extend([at] * n)

    def extend(self, other: PredictionRecords) -> None:
        for mine, theirs in zip(self.columns(), other.columns(), strict=True):
            mine.extend(theirs)

    def columns(self) -> tuple[list[Any], ...]:
        return self.ids, self.models, self.labels, self.scores, self.times

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class PendingMonitoring:
    rows: dict[HourKey, ObservedRows] = field(default_factory=dict)
    counts: dict[HourKey, dict[str, list[int]]] = field(default_factory=dict)
    """Binned counts by sketch key (`f<i>` per feature, `p` for the output), then `rows`."""
    records: PredictionRecords = field(default_factory=PredictionRecords)
    dropped: int = 0

    def __bool__(self) -> bool:
        return bool(self.rows or self.counts or self.records)


def new_prediction_ids(n: int) -> list[str]:
    return [str(ObjectId()) for _ in range(n)]


def add_counts(into: dict[str, list[int]], counts: dict[str, list[int]]) -> None:
    for key, values in counts.items():
        kept = into.get(key)
        if kept is None:
            into[key] = list(values)
        else:
            for i, value in enumerate(values):
                kept[i] += value


class MonitoringTally:
    """Rows, counts and prediction records since the last flush."""

    def __init__(self) -> None:
        self._pending = PendingMonitoring()
        self._rows_in_flush: dict[str, int] = {}

    def observe(
        self,
        model_id: str,
        columns: dict[str, list[Any]],
        outputs: list[Any],
        labels: list[Any],
        scores: list[float] | None,
    ) -> list[str]:
        """Record an online request's scored rows; their new prediction ids, in order."""
        now = utcnow()
        ids = new_prediction_ids(len(labels))
        self._pending.records.add(model_id, ids, labels, scores, now)
        seen = self._rows_in_flush.get(model_id, 0)
        if seen + len(outputs) > MAX_ROWS_PER_FLUSH:
            self._pending.dropped += len(outputs)
            return ids
        self._rows_in_flush[model_id] = seen + len(outputs)
        rows = self._pending.rows.setdefault((model_id, hour_of(now)), ObservedRows())
        for name, values in columns.items():
            rows.columns.setdefault(name, []).extend(values)
        rows.outputs.extend(outputs)
        return ids

    def add_binned(self, model_id: str, at: datetime, counts: dict[str, list[int]]) -> None:
        """Counts binned elsewhere (a batch prediction's worker)."""
        add_counts(self._pending.counts.setdefault((model_id, hour_of(at)), {}), counts)

    def add_batch(
        self, model_id: str, counts: dict[str, list[int]] | None, records: list[tuple[str, Any, float | None]]
    ) -> None:
        """A batch prediction's binned counts (None when the model had no reference) and the
        records kept for feedback."""
        now = utcnow()
        if counts is not None:
            self.add_binned(model_id, now, counts)
        self._pending.records.add(
            model_id, [r[0] for r in records], [r[1] for r in records], [r[2] for r in records], now
        )

    def take(self) -> PendingMonitoring:
        pending, self._pending = self._pending, PendingMonitoring()
        self._rows_in_flush = {}
        return pending

    def restore(self, counts: dict[HourKey, dict[str, list[int]]], records: PredictionRecords) -> None:
        """Put back what a failed flush could not write."""
        for key, binned in counts.items():
            add_counts(self._pending.counts.setdefault(key, {}), binned)
        records.extend(self._pending.records)
        self._pending.records = records


def window_start(now: datetime, hours: int) -> datetime:
    """The first hour of a window of `hours` hours ending with the current one."""
    return hour_of(now) - timedelta(hours=hours - 1)
