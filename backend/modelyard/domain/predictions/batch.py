"""Batch scoring in the process pool: Parquet in, CSV out, chunk by chunk (bounded memory)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from modelyard.lib.jobs import JobControl
from modelyard.lib.monitoring_tally import add_counts
from modelyard.ml.artifacts import load_pipeline
from modelyard.ml.drift import sketch_counts
from modelyard.ml.features import TrainingSchema, prepare_frame
from modelyard.ml.scoring import LoadedModel, score_frame

MAX_BATCH_RECORDS = 100_000
"""Rows of one batch prediction kept for feedback (the first ones); later rows' ids are unknown to
feedback (their sketches still count)."""


def _csv_safe(table: pa.Table) -> pa.Table:
    """CSV cannot hold nested values: write those as text."""
    columns = []
    for column in table.columns:
        if pa.types.is_nested(column.type) or pa.types.is_dictionary(column.type):
            column = pa.array([None if v is None else str(v) for v in column.to_pylist()], pa.string())
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


@dataclass
class BatchScored:
    """What a batch run tells the job: rows scored, monitoring counts against the model's reference
    (None without one), and the first rows' outputs as (prediction id, label, score) for feedback."""

    rows: int
    counts: dict[str, list[int]] | None = None
    records: list[tuple[str, Any, float | None]] = field(default_factory=list)


def _monitored(
    result: BatchScored,
    reference: dict[str, Any] | None,
    model: LoadedModel,
    frame: pd.DataFrame,
    labels: list[Any],
    proba: Any,
    ids: list[str],
) -> None:
    """Add a chunk to the sketch counts and the kept prediction records."""
    problem = model.schema.problem_type
    scores: list[Any] | None = None
    outputs: list[Any] = [str(v) for v in labels]
    if problem == "binary":
        scores = outputs = np.asarray(proba[:, 1], dtype=np.float64).tolist()
    elif problem == "regression":
        scores = outputs = labels
    if reference is not None:
        chunk = sketch_counts(reference, prepare_frame(frame, model.schema), outputs)
        if result.counts is None:
            result.counts = chunk
        else:
            add_counts(result.counts, chunk)
    room = MAX_BATCH_RECORDS - len(result.records)
    for i in range(min(room, len(ids))):
        result.records.append((ids[i], labels[i], None if scores is None else scores[i]))


def score_batch_in_worker(
    control: JobControl,
    artifact_path: str,
    schema: dict[str, Any],
    input_path: str,
    output_path: str,
    chunk_rows: int,
    reference: dict[str, Any] | None = None,
    id_prefix: str = "",
) -> BatchScored:
    """Score every row of the Parquet input; write input columns + predictions (and each row's
    `prediction_id`, `<id_prefix>-<row>`) as CSV."""
    result = BatchScored(0)
    training_schema = TrainingSchema.from_dict(schema)
    pipeline = load_pipeline(Path(artifact_path).read_bytes())
    model = LoadedModel.build(pipeline, training_schema, 0, compile=False)
    source = pq.ParquetFile(input_path)
    total = max(1, source.metadata.num_rows)
    done = 0
    writer: pacsv.CSVWriter | None = None
    try:
        for batch in source.iter_batches(batch_size=chunk_rows):
            control.check()
            table = pa.Table.from_batches([batch])
            frame = table.to_pandas()
            labels, proba = score_frame(model, frame)
            ids = [f"{id_prefix}-{done + i}" for i in range(table.num_rows)]
            _monitored(result, reference, model, frame, labels, proba, ids)
            out = _csv_safe(table)
            if training_schema.problem_type == "regression":
                out = out.append_column("prediction", pa.array(labels, pa.float64()))
            else:
                out = out.append_column("prediction", pa.array([str(v) for v in labels], pa.string()))
                assert proba is not None
                for j, label in enumerate(model.pipeline.classes_):
                    name = f"probability_{label}"
                    out = out.append_column(name, pa.array(np.asarray(proba[:, j], dtype=np.float64)))
            out = out.append_column("prediction_id", pa.array(ids, pa.string()))
            if writer is None:
                writer = pacsv.CSVWriter(output_path, out.schema)
            writer.write_table(out)
            done += table.num_rows
            control.report(min(0.99, done / total), rows_scored=done)
    finally:
        if writer is not None:
            writer.close()
    result.rows = done
    return result
