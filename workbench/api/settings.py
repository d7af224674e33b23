"""Limits of the client API (`ApiSettings`); docs/clients-format.md section 6 lists them."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def _env_int(name: str, default: int) -> int:
    return max(1, int(_env_float(name, default)))


@dataclass
class ApiSettings:
    """Limits of the API; some can be set by an environment variable (name in brackets)."""

    rate_per_s: float = field(
        default=10.0, metadata={"help": "tokens per second per key (WORKBENCH_API_RATE)"}
    )
    burst: float = field(
        default=60.0, metadata={"help": "bucket size per key (WORKBENCH_API_BURST)"}
    )
    address_rate_per_s: float = field(
        default=20.0,
        metadata={"help": "tokens per second per client address (WORKBENCH_API_ADDRESS_RATE)"},
    )
    address_burst: float = field(
        default=120.0,
        metadata={"help": "bucket size per client address (WORKBENCH_API_ADDRESS_BURST)"},
    )
    auth_failure_cost: float = field(
        default=10.0, metadata={"help": "tokens a 401 answer takes from the address's bucket"}
    )
    max_buckets: int = field(
        default=10_000, metadata={"help": "token buckets kept per kind (addresses, keys)"}
    )
    live_cost: float = field(default=10.0, metadata={"help": "tokens a live evaluation takes"})
    live_per_client: int = field(
        default=1, metadata={"help": "live evaluations of one client at a time"}
    )
    live_total: int = field(
        default=2, metadata={"help": "live evaluations at a time in all (WORKBENCH_API_LIVE_TOTAL)"}
    )
    live_max_new_tokens: int = field(
        default=256,
        metadata={"help": "longest live answer in tokens (WORKBENCH_API_LIVE_TOKENS)"},
    )
    live_retry_after_s: int = field(
        default=5, metadata={"help": "Retry-After of a live evaluation refused for lack of a slot"}
    )
    max_body_bytes: int = field(
        default=16_384, metadata={"help": "largest request body (WORKBENCH_API_MAX_BODY)"}
    )
    audit_flush_s: float = field(
        default=1.0, metadata={"help": "seconds between appends to the audit journal"}
    )
    audit_max_buffer: int = field(
        default=100_000, metadata={"help": "audit rows kept in memory while the journal fails"}
    )
    audit_max_groups: int = field(
        default=10_000, metadata={"help": "summed anonymous audit rows kept per flush"}
    )
    audit_load_s: float = field(
        default=10.0, metadata={"help": "seconds between loads of the audit journal into the store"}
    )
    busy_timeout_s: float = field(default=10.0, metadata={"help": "wait for the database file (s)"})

    @classmethod
    def from_env(cls) -> ApiSettings:
        """Defaults overridden by the WORKBENCH_API_* variables named in the fields' help."""
        return cls(
            rate_per_s=_env_float("WORKBENCH_API_RATE", cls.rate_per_s),
            burst=_env_float("WORKBENCH_API_BURST", cls.burst),
            address_rate_per_s=_env_float("WORKBENCH_API_ADDRESS_RATE", cls.address_rate_per_s),
            address_burst=_env_float("WORKBENCH_API_ADDRESS_BURST", cls.address_burst),
            live_total=_env_int("WORKBENCH_API_LIVE_TOTAL", cls.live_total),
            live_max_new_tokens=_env_int("WORKBENCH_API_LIVE_TOKENS", cls.live_max_new_tokens),
            max_body_bytes=int(_env_float("WORKBENCH_API_MAX_BODY", cls.max_body_bytes)),
        )
