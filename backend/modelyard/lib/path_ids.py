"""Path parameters that name a resource by its id: checked before a handler runs, documented once.

A malformed id (not 24 lowercase hex digits) is a 422 whose `errors` say `path.<name>`, so a
client learns it sent something that can never be an id; a well-formed id that matches nothing
of the caller's is a 404, whether it never existed or belongs to another user.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar.openapi.spec import Example
from litestar.params import Parameter

from modelyard.lib import examples
from modelyard.lib.schema import OBJECT_ID_LENGTH, OBJECT_ID_PATTERN

NOUNS = {
    examples.DATASET_ID: "dataset",
    examples.ANALYSIS_ID: "analysis",
    examples.TRAINING_JOB_ID: "training job",
    examples.MODEL_ID: "model",
    examples.BATCH_JOB_ID: "batch prediction job",
    examples.API_KEY_ID: "API key",
    examples.WEBHOOK_ID: "webhook",
}
"""The resource each example id names; examples that mention it say `No model with id ...`."""


def path_id(example: str) -> Any:
    """The declaration (Litestar's `Parameter`) of a path parameter holding the id `example` shows."""
    noun = NOUNS[example]
    return Parameter(
        pattern=OBJECT_ID_PATTERN,
        min_length=OBJECT_ID_LENGTH,
        max_length=OBJECT_ID_LENGTH,
        description=f"24-hex id of the {noun}. A malformed id is a 422; an unknown id, or another "
        "user's, is a 404.",
        examples=[Example(summary=f"A {noun} id", value=example)],
    )


DatasetPathId = Annotated[str, path_id(examples.DATASET_ID)]
AnalysisPathId = Annotated[str, path_id(examples.ANALYSIS_ID)]
TrainingJobPathId = Annotated[str, path_id(examples.TRAINING_JOB_ID)]
ModelPathId = Annotated[str, path_id(examples.MODEL_ID)]
BatchJobPathId = Annotated[str, path_id(examples.BATCH_JOB_ID)]
ApiKeyPathId = Annotated[str, path_id(examples.API_KEY_ID)]
WebhookPathId = Annotated[str, path_id(examples.WEBHOOK_ID)]
