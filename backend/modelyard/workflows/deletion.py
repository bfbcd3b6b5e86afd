"""Deletions that cross areas: a dataset, a model, a whole account.

Each area removes only its own documents and objects (its service's `delete*` methods);
this is the one place that knows what depends on what and in which order to remove it,
so no area imports one above it. The order follows one rule: what points at a thing goes
before the thing, objects go before the documents that name them, and the account record
goes last. A failure half-way (the object store is down) leaves everything still stored
reachable, answers 503, and the same request, repeated, finishes the job.

Jobs that are running when their owner, dataset or model goes are cancelled first; a
training or batch job that finishes in that window checks again after storing its result
and takes it back (see `TrainingService._train` and `PredictionService.run_batch`).
"""

from __future__ import annotations

from beanie import PydanticObjectId
from litestar.di import NamedDependency

from modelyard.domain.accounts.auth import UserCache
from modelyard.domain.accounts.services import AccountService
from modelyard.domain.analysis.services import AnalysisService
from modelyard.domain.api_keys.cache import ApiKeyCache
from modelyard.domain.api_keys.services import ApiKeyService
from modelyard.domain.datasets.services import DatasetService
from modelyard.domain.models.services import ModelService
from modelyard.domain.monitoring.services import MonitoringService
from modelyard.domain.predictions.services import PredictionService
from modelyard.domain.training.services import TrainingService
from modelyard.domain.webhooks.services import WebhookService
from modelyard.lib.conditional import etag, require_match
from modelyard.lib.storage import storage_unavailable_while_deleting


class DeletionService:
    """Removes what depends on a dataset, a model or an account, in an order that a retry can finish."""

    def __init__(
        self,
        *,
        accounts: AccountService,
        datasets: DatasetService,
        training: TrainingService,
        models: ModelService,
        predictions: PredictionService,
        analyses: AnalysisService,
        api_keys: ApiKeyService | None = None,
        webhooks: WebhookService | None = None,
        users: UserCache | None = None,
        key_cache: ApiKeyCache | None = None,
    ) -> None:
        self.accounts = accounts
        self.datasets = datasets
        self.training = training
        self.models = models
        self.predictions = predictions
        self.analyses = analyses
        self.api_keys = api_keys or ApiKeyService()
        self.webhooks = webhooks or WebhookService()
        self.users = users
        self.key_cache = key_cache

    async def dataset(self, owner_id: PydanticObjectId, dataset_id: str, if_match: str | None = None) -> None:
        """Cancel the dataset's queued and running training jobs, remove its analyses, then the
        dataset and its objects. Finished training jobs and models trained on it stay: a model
        keeps its own copy of what it needs and goes on serving. With `if_match`, only the
        version that tag names (412, nothing removed, otherwise)."""
        if if_match is not None:
            document = await self.datasets.get_owned(owner_id, dataset_id)
            require_match(if_match, etag(document.id, document.updated_at))
        await self.training.cancel_for_dataset(owner_id, dataset_id)
        await self.analyses.delete_for_dataset(owner_id, dataset_id)
        with storage_unavailable_while_deleting("the dataset"):
            await self.datasets.delete(owner_id, dataset_id)  # 404 here for an unknown or foreign id

    async def model(self, owner_id: PydanticObjectId, model_id: str, if_match: str | None = None) -> None:
        """Remove the model's batch predictions (with their files) and narratives, then the model
        and its artifact. With `if_match`, only the version that tag names (412 otherwise)."""
        document = await self.models.get_owned(owner_id, model_id)  # 404 before touching anything
        require_match(if_match, etag(document.id, document.updated_at))
        with storage_unavailable_while_deleting("the model"):
            await self.predictions.delete_batches(owner_id, model_id)
            await self.analyses.delete_for_model(owner_id, model_id)
            await self.models.delete(owner_id, model_id)
        self.predictions.forget_model(model_id)
        await MonitoringService().forget_model(model_id)  # its sketches and kept predictions

    async def account(self, user_id: PydanticObjectId) -> None:
        """Remove everything the account owns, then the account.

        API keys and webhooks go first, so no machine acts for (or hears from) the account while it
        is taken apart. Training
        jobs next (cancelled, then their records), so no job still running can add a model
        after the models were removed; then batch predictions, analyses, models and datasets
        with their objects; the account record last, so a retry (with the same token) can
        always finish what a failure interrupted.
        """
        await self.api_keys.delete_all_owned(user_id)
        await self.webhooks.delete_all_owned(user_id)
        if self.key_cache is not None:
            self.key_cache.evict_owner(str(user_id))
        with storage_unavailable_while_deleting("your account's data"):
            await self.training.delete_all_owned(user_id)
            await self.predictions.delete_batches(user_id)
            await self.analyses.delete_all_owned(user_id)
            for model_id in await self.models.delete_all_owned(user_id):
                self.predictions.forget_model(model_id)
                await MonitoringService().forget_model(model_id)
            await self.datasets.delete_all_owned(user_id)
        await self.accounts.delete(user_id)
        if self.users is not None:
            # This process refuses the token at once; others within their cache TTL (UserCache).
            self.users.evict(str(user_id))


def provide_deletion_service(
    accounts: NamedDependency[AccountService],
    datasets: NamedDependency[DatasetService],
    training: NamedDependency[TrainingService],
    models: NamedDependency[ModelService],
    predictions: NamedDependency[PredictionService],
    analyses: NamedDependency[AnalysisService],
    api_keys: NamedDependency[ApiKeyService],
    webhooks: NamedDependency[WebhookService],
    user_cache: NamedDependency[UserCache],
    api_key_cache: NamedDependency[ApiKeyCache],
) -> DeletionService:
    """Dependency provider (`deletion`): every area's service of this request."""
    return DeletionService(
        accounts=accounts,
        datasets=datasets,
        training=training,
        models=models,
        predictions=predictions,
        analyses=analyses,
        api_keys=api_keys,
        webhooks=webhooks,
        users=user_cache,
        key_cache=api_key_cache,
    )
