"""redis-py's pipeline() and transaction() (MULTI/EXEC are in kvengine.multi)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kvengine.api.base import ApiBase

if TYPE_CHECKING:
    from kvengine.pipeline import Pipeline


class TransactionCommands(ApiBase):
    """Pipelines (buffered, optionally atomic) and the WATCH/retry helper."""

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Pipeline:
        """A buffer of commands run by ``execute()``, atomically if `transaction`."""
        from kvengine.pipeline import Pipeline

        return Pipeline(self, transaction)  # type: ignore[arg-type]

    def transaction(
        self,
        func: Callable[[Pipeline], Any],
        *watches: Any,
        shard_hint: Any = None,
        value_from_callable: bool = False,
        watch_delay: float | None = None,
    ) -> Any:
        """WATCH `watches`, run ``func(pipe)``, EXEC; retried until no watched key changed."""
        from kvengine.pipeline import run_transaction

        return run_transaction(
            self,  # type: ignore[arg-type]
            func,
            *watches,
            value_from_callable=value_from_callable,
            watch_delay=watch_delay,
        )
