"""HTTP endpoints of the deletions that cross areas: a dataset, a model, the caller's account.

Each is added to its area's controller by a subclass (a path's handlers must share one
controller), so the area's controller knows nothing of the cascade and the app registers
these subclasses in its place."""

from __future__ import annotations

from litestar import delete
from litestar.di import NamedDependency
from litestar.params import FromPath

from modelyard.domain.accounts.auth import UserRequest, owner
from modelyard.domain.accounts.controllers import AuthController
from modelyard.domain.datasets.controllers import DatasetController
from modelyard.domain.models.controllers import ModelController
from modelyard.lib.conditional import IfMatch
from modelyard.lib.openapi import AUTHENTICATED, problem_responses
from modelyard.lib.path_ids import DatasetPathId, ModelPathId
from modelyard.workflows.deletion import DeletionService


class AccountRoutes(AuthController):
    """`/api/v1/auth` with `DELETE /me`: the account and everything it owns."""

    @delete(
        "/me",
        operation_id="deleteCurrentUser",
        summary="Delete the current account and all its data",
        responses=problem_responses(503, *AUTHENTICATED),
    )
    async def delete_me(self, request: UserRequest, deletion: NamedDependency[DeletionService]) -> None:
        """Delete your account and everything it owns, for good; 204 when done.

        Removed: every dataset with its stored files and analyses, every model with its
        artifact, narratives and batch predictions (input and result files), and every training
        job; queued and running jobs are cancelled first, and one that finishes meanwhile does
        not keep its result. The account itself goes last: afterwards the token is refused
        (401) and the email can be registered again.

        If the object store fails half-way the answer is 503 and nothing stored is left
        unreachable: repeat the request with the same token to finish. A deployment running
        several server processes may accept the token in the others for up to 30 seconds
        after the deletion.
        """
        await deletion.account(owner(request))


class DatasetRoutes(DatasetController):
    """`/api/v1/datasets` with `DELETE /{dataset_id}`: the dataset, its analyses, its running jobs."""

    @delete(
        "/{dataset_id:str}",
        operation_id="deleteDataset",
        summary="Delete a dataset",
        responses=problem_responses(404, 412, 503, *AUTHENTICATED),
    )
    async def delete_dataset(
        self,
        request: UserRequest,
        deletion: NamedDependency[DeletionService],
        dataset_id: FromPath[DatasetPathId],
        if_match: IfMatch = None,
    ) -> None:
        """Delete the dataset, every stored copy of its data and its analyses. 204 when done.

        Training jobs on it that are queued or running are cancelled. Finished training jobs
        and the models trained on it stay: a model keeps everything it needs and goes on
        serving predictions after its dataset is deleted (delete the model to stop it).

        If storage fails half-way the answer is 503, the dataset disappears from lists, and
        the next GET or DELETE of its id finishes the removal. With `If-Match`, a dataset
        changed since you read it is a 412 and nothing is removed.
        """
        await deletion.dataset(owner(request), dataset_id, if_match)


class ModelRoutes(ModelController):
    """`/api/v1/models` with `DELETE /{model_id}`: the model, its narratives and batch predictions."""

    @delete(
        "/{model_id:str}",
        operation_id="deleteModel",
        summary="Delete a model",
        responses=problem_responses(404, 412, 503, *AUTHENTICATED),
    )
    async def delete_model(
        self,
        request: UserRequest,
        model_id: FromPath[ModelPathId],
        deletion: NamedDependency[DeletionService],
        if_match: IfMatch = None,
    ) -> None:
        """Delete the model, its stored artifact, its narratives and its batch predictions (their
        input and result files included; a running one is cancelled). 204 when done. Predictions
        with it stop (other server processes notice within a few seconds).

        The dataset it was trained on and its training job are not affected. A model does not
        need its dataset: deleting the dataset first leaves the model serving.

        If storage fails half-way the answer is 503; repeat the request to finish. With
        `If-Match`, a model changed since you read it (say, promoted) is a 412 and nothing is
        removed.
        """
        await deletion.model(owner(request), model_id, if_match)
