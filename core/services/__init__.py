"""Use cases: each public coroutine takes keyword-only `uow` and `actor` and is `@service`."""
