"""Sending one delivery: sign it, POST it to the checked address, log the attempt, retry or give up.

Run by the job runner (`register_webhook_jobs`): a delivery is a job that succeeds on a 2xx
answer. Anything else (another status, a timeout, a refused connection) is logged and the job
is requeued after a backoff (`first_retry_s`, four times longer each time, at most
`max_retry_delay_s`) until `retry_window_s` after the event; then it fails. A destination that
is not allowed (a name that now resolves to a private address) fails at once: retrying cannot help.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import httpx
import msgspec

from modelyard import __version__
from modelyard.domain.webhooks.documents import WebhookDeliveryDocument, WebhookDocument
from modelyard.domain.webhooks.signing import signed_headers
from modelyard.lib.clock import utcnow
from modelyard.lib.errors import BadRequestError
from modelyard.lib.jobs import JobContext, JobRunner, RetryLaterError
from modelyard.lib.outbound import DestinationRefusedError, IPNetwork, post_pinned

USER_AGENT = f"Modelyard-Webhooks/{__version__}"


class WebhookSender:
    """Delivers webhook events over one HTTP client (kept for the process's lifetime)."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        allowed: list[IPNetwork],
        timeout_s: float,
        first_retry_s: float,
        max_retry_delay_s: float,
        retry_window_s: float,
    ) -> None:
        self.client = client
        self.allowed = allowed
        self.timeout_s = timeout_s
        self.first_retry_s = first_retry_s
        self.max_retry_delay_s = max_retry_delay_s
        self.retry_window = timedelta(seconds=retry_window_s)

    def delay(self, failures: int) -> float:
        """Wait after the `failures`-th failed attempt."""
        return float(min(self.max_retry_delay_s, self.first_retry_s * 4 ** max(0, failures - 1)))

    async def deliver(self, job: Any, context: JobContext) -> dict[str, Any] | None:
        """The job handler: one attempt of one delivery."""
        assert isinstance(job, WebhookDeliveryDocument)
        webhook = await WebhookDocument.get(job.webhook_id)
        if webhook is None or not webhook.enabled:
            raise BadRequestError("The webhook was deleted or disabled before this event could be delivered.")
        body = msgspec.json.encode(job.payload)
        headers = {
            **signed_headers(webhook.secret, job.message_id, int(time.time()), body),
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
        }
        started = time.perf_counter()
        status_code: int | None = None
        error: str | None = None
        try:
            async with asyncio.timeout(self.timeout_s):
                response = await post_pinned(
                    self.client,
                    webhook.url,
                    content=body,
                    headers=headers,
                    allowed=self.allowed,
                    timeout=self.timeout_s,
                )
            status_code = response.status_code
        except DestinationRefusedError as exc:
            await self._log(job, None, f"Refused destination: {exc}", started)
            raise BadRequestError(f"Not delivered: {exc}") from None
        except (TimeoutError, httpx.TimeoutException):
            error = f"No answer within {self.timeout_s:g} s."
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {str(exc)[:200] or 'connection failed'}"
        tries = await self._log(job, status_code, error, started)
        if status_code is not None and 200 <= status_code < 300:
            return {"message": f"Delivered ({status_code})."}
        what = f"answered {status_code}" if status_code is not None else error
        wait = self.delay(tries)
        if utcnow() + timedelta(seconds=wait) > job.created_at + self.retry_window:
            raise BadRequestError(f"Gave up after {tries} attempts over {self.retry_window}: last one {what}")
        raise RetryLaterError(wait, f"Attempt {tries} {what}; retrying in {wait:g} s.")

    async def _log(
        self, job: WebhookDeliveryDocument, status_code: int | None, error: str | None, started: float
    ) -> int:
        """Append the attempt to the delivery's log; how many attempts it has now."""
        attempt = {
            "at": utcnow(),
            "status_code": status_code,
            "error": error,
            "duration_ms": int((time.perf_counter() - started) * 1000),
        }
        collection = WebhookDeliveryDocument.get_pymongo_collection()
        await collection.update_one({"_id": job.id}, {"$push": {"tries": attempt}})
        return len(job.tries) + 1


def register_webhook_jobs(runner: JobRunner, sender: WebhookSender) -> None:
    runner.register(WebhookDeliveryDocument, sender.deliver)
