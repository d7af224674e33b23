"""Pydantic bodies of the client REST API (docs/clients-format.md section 6)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]  # the store keeps naive UTC times


class ErrorBody(BaseModel):
    code: str = Field(description="unauthorized | not_found | rate_limited | payload_too_large | "
                      "invalid_request | method_not_allowed | no_model | no_data | busy | internal")  # fmt: skip
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class Health(BaseModel):
    status: str
    api_version: str


class Grade(BaseModel):
    """A fund's graded row in a release: the grade, its source, the model run, the methodology
    version and the as_of date it was graded at."""

    release_version: int
    as_of: date
    grade: int | None
    scores: dict[str, int] | None
    reasoning: str | None
    parse_status: str
    source: str = Field(description="where the grade comes from: analyst-reviewed (an analyst's "
                        "grade), model-rated (the model's, not reviewed) or rules (the "
                        "methodology's rule-based scorer)")  # fmt: skip
    run_id: str | None = Field(description="the model run of the release (None: a rules cycle)")
    methodology_id: str
    methodology_version: int
    cycle_id: str | None = Field(description="the rating cycle it was published from, if any")


class Fund(BaseModel):
    fund_id: str
    fund_name: str | None
    category: str | None
    company: str | None
    current: Grade | None = Field(description="the fund's row in the latest release, if any")


class FundList(BaseModel):
    funds: list[Fund]
    release_version: int | None


class FundDetail(Fund):
    manager: str | None
    inception_date: date | None
    currency: str | None
    benchmark_id: str | None
    expense_ratio: float | None
    aum: float | None


class Evaluation(BaseModel):
    release_version: int
    as_of: date
    published_at: UtcDatetime
    run_id: str | None
    methodology_id: str
    methodology_version: int
    grade: int | None
    scores: dict[str, int] | None
    reasoning: str | None
    thinking: str | None
    evaluator: str
    parse_status: str
    source: str = Field(description="where the grade comes from: analyst-reviewed (an analyst's "
                        "grade), model-rated (the model's, not reviewed) or rules (the "
                        "methodology's rule-based scorer)")  # fmt: skip
    cycle_id: str | None


class FundEvaluations(BaseModel):
    fund_id: str
    evaluations: list[Evaluation] = Field(description="oldest release first")


class Release(BaseModel):
    version: int
    run_id: str | None = Field(description="the model run (None: a rules cycle)")
    methodology_id: str
    methodology_version: int
    as_of: date
    n_funds: int
    published_at: UtcDatetime
    note: str | None
    cycle_id: str | None = Field(default=None, description="the rating cycle it comes from")


class ReleaseList(BaseModel):
    releases: list[Release] = Field(description="newest first")


class ReleaseRow(BaseModel):
    fund_id: str
    fund_name: str | None
    category: str | None
    grade: int | None
    scores: dict[str, int] | None
    reasoning: str | None
    thinking: str | None
    evaluator: str
    parse_status: str
    source: str = Field(description="where the grade comes from: analyst-reviewed (an analyst's "
                        "grade), model-rated (the model's, not reviewed) or rules (the "
                        "methodology's rule-based scorer)")  # fmt: skip


class ReleaseDetail(Release):
    evaluations: list[ReleaseRow]


class Methodology(BaseModel):
    methodology_id: str
    version: int
    body: dict[str, Any] | None = Field(description="the saved methodology document")


class LiveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_new_tokens: int | None = Field(
        default=None, ge=1, le=512,
        description="answer length in tokens (default: the run's); cut to the server's cap",
    )  # fmt: skip


class LiveEvaluation(BaseModel):
    fund_id: str
    run_id: str
    as_of: date
    methodology_id: str
    methodology_version: int
    grade: int | None
    scores: dict[str, int] | None
    reasoning: str | None
    thinking: str | None
    parse_status: str
    parse_error: str | None
    latency_ms: float
    max_new_tokens: int = Field(description="the answer's token budget, after the server's cap")
    evaluated_at: UtcDatetime
    live: bool = Field(description="always true: a live answer, not a published release row")
