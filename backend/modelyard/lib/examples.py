"""The one story every example of the API spec tells, so examples agree with each other.

Ada (`ada@example.com`) uploads `customers-2024.csv` (docs/examples/customers.csv: 400 rows, 10
columns), analyses it, trains a churn model on `churned` without `account_closed`, and scores
June's customers in a batch. Ids are real-looking ObjectIds whose first 8 hex digits are the
creation time shown beside them; a response example of one resource uses the same id as the
examples of the resources that refer to it.
"""

from __future__ import annotations

USER_ID = "665f1b924c1d2b3a59e7f801"
USER_CREATED_AT = "2024-06-04T13:50:10Z"

DATASET_ID = "665f1c2a9b1e8a3d4c5b6a79"
DATASET_CREATED_AT = "2024-06-04T13:52:42Z"
DATASET_UPDATED_AT = "2024-06-04T13:58:12Z"
DATASET_SHA256 = "626b6f9280aaa3d814eae238c873fb08e87966467baeb9f7b93b4cc6175b2ef3"
DUPLICATE_DATASET_ID = "665f20389b1e8a3d4c5b6a7c"
"""A second upload of the same bytes (its `duplicate_of` is DATASET_ID)."""

ANALYSIS_ID = "665f1c412f7d4e1a8c3b5d60"
ANALYSIS_CREATED_AT = "2024-06-04T13:53:05Z"
ANALYSIS_STARTED_AT = "2024-06-04T13:53:05Z"
ANALYSIS_FINISHED_AT = "2024-06-04T13:53:06Z"

NARRATIVE_ID = "665f1d182f7d4e1a8c3b5d63"
"""The model narrative (an analysis of kind `model`) of MODEL_ID."""
NARRATIVE_CREATED_AT = "2024-06-04T13:56:40Z"
NARRATIVE_FINISHED_AT = "2024-06-04T13:56:41Z"

TRAINING_JOB_ID = "665f1c8c5e2c9a7b1d4f3e82"
TRAINING_CREATED_AT = "2024-06-04T13:54:20Z"
TRAINING_STARTED_AT = "2024-06-04T13:54:21Z"
TRAINING_FINISHED_AT = "2024-06-04T13:55:24Z"

MODEL_ID = "665f1ccc5e2c9a7b1d4f3e85"
MODEL_CREATED_AT = TRAINING_FINISHED_AT
MODEL_UPDATED_AT = "2024-06-04T14:01:37Z"

BATCH_JOB_ID = "665f1e777a3e6c0d9b2f1e44"
BATCH_CREATED_AT = "2024-06-04T14:02:31Z"
BATCH_STARTED_AT = "2024-06-04T14:02:31Z"
BATCH_FINISHED_AT = "2024-06-04T14:02:33Z"

WEBHOOK_ID = "665f1de54c1d2b3a59e7f80a"
WEBHOOK_CREATED_AT = "2024-06-04T14:00:05Z"
WEBHOOK_DELIVERY_ID = "665f1e414c1d2b3a59e7f80b"
"""The `model.stage_changed` delivery of the model's promotion (at MODEL_UPDATED_AT)."""
API_KEY_ID = "665f1e624c1d2b3a59e7f80c"
API_KEY_CREATED_AT = "2024-06-04T14:02:10Z"

REQUEST_ID = "5d0c6c1b2f7e4a7f9a3b0d1e2c3f4a5b"
ACCESS_TOKEN = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3MTc1MTI2MTAsInN1YiI6IjY2NWYxYjkyNGMxZDJiM2E1OWU3ZjgwMSIs"
    "ImlhdCI6MTcxNzUwOTAxMCwiZXh0cmFzIjp7fX0.FApEjVVAO9whUC4l_bzBkQ1Z2AivfYQw5SpOmEw3t8g"
)
"""A token for USER_ID, issued at USER_CREATED_AT (signed with a secret nobody uses)."""
NEXT_CURSOR = "MTcxNzUwOTE2MjAwMC42NjVmMWMyYTliMWU4YTNkNGM1YjZhNzk"
"""The cursor after a page that ends with the dataset (its `created_at` in ms, then its id)."""
ETAG = '"3f2a9c1d7e5b4a6f8c0d2e4f6a8b0c1d"'
IDEMPOTENCY_KEY = "3f6c1e2a-7b4d-4e8a-9c0f-5d2b8a1e6f47"
