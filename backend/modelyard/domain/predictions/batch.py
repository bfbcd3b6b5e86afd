"""Batch scoring in the process pool: Parquet in, CSV out, chunk by chunk (bounded memory)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from modelyard.lib.jobs import JobControl
from modelyard.ml.artifacts import load_pipeline
from modelyard.ml.features import TrainingSchema
from modelyard.ml.scoring import LoadedModel, score_frame


def _csv_safe(table: pa.Table) -> pa.Table:
    """CSV cannot hold nested values: write those as text."""
    columns = []
    for column in table.columns:
        if pa.types.is_nested(column.type) or pa.types.is_dictionary(column.type):
            column = pa.array([None if v is None else str(v) for v in column.to_pylist()], pa.string())
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def score_batch_in_worker(
    control: JobControl,
    artifact_path: str,
    schema: dict[str, Any],
    input_path: str,
    output_path: str,
    chunk_rows: int,
) -> int:
    """Score every row of the Parquet input; write input columns + predictions as CSV. Rows scored."""
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
            labels, proba = score_frame(model, table.to_pandas())
            out = _csv_safe(table)
            if training_schema.problem_type == "regression":
                out = out.append_column("prediction", pa.array(labels, pa.float64()))
            else:
                out = out.append_column("prediction", pa.array([str(v) for v in labels], pa.string()))
                assert proba is not None
                for j, label in enumerate(model.pipeline.classes_):
                    name = f"probability_{label}"
                    out = out.append_column(name, pa.array(np.asarray(proba[:, j], dtype=np.float64)))
            if writer is None:
                writer = pacsv.CSVWriter(output_path, out.schema)
            writer.write_table(out)
            done += table.num_rows
            control.report(min(0.99, done / total), rows_scored=done)
    finally:
        if writer is not None:
            writer.close()
    return done
