"""Schema of one consumer credit-report snapshot (pydantic): what the bureau said on one date."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

PaymentCode = Literal["OK", "30", "60", "90", "120"]
REVOLVING_KINDS = frozenset({"credit_card", "retail_card", "heloc"})


class Strict(BaseModel):
    """Reject unknown fields so a typo in an imported report is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Tradeline(Strict):
    """One credit account; `payment_history` is most recent month first, up to 24 months."""

    id: str = Field(min_length=1)
    kind: Literal["credit_card", "retail_card", "heloc", "auto_loan", "student_loan", "mortgage", "personal_loan"]
    creditor: str = Field(min_length=1, description="Masked, e.g. 'NORTHSTAR CARD ****4821'.")
    opened: date
    credit_limit: int | None = Field(None, ge=0, description="Revolving accounts.")
    original_amount: int | None = Field(None, ge=0, description="Installment accounts.")
    balance: int = Field(ge=0)
    status: Literal["open", "closed", "paid", "charged_off"]
    payment_history: list[PaymentCode] = Field(default_factory=list, max_length=24)

    @property
    def is_revolving(self) -> bool:
        """Cards and lines of credit count toward utilization."""
        return self.kind in REVOLVING_KINDS

    @model_validator(mode="after")
    def _amount_matches_kind(self) -> Tradeline:
        """Revolving accounts need a limit, installment loans an original amount."""
        if self.is_revolving and self.credit_limit is None:
            raise ValueError(f"tradeline {self.id}: credit_limit is required for {self.kind}")
        if not self.is_revolving and self.original_amount is None:
            raise ValueError(f"tradeline {self.id}: original_amount is required for {self.kind}")
        return self


class Inquiry(Strict):
    """A hard inquiry: a lender pulled the report for an application."""

    date: date
    creditor: str = Field(min_length=1)


class Collection(Strict):
    """A debt placed with a collection agency."""

    id: str = Field(min_length=1)
    agency: str = Field(min_length=1)
    original_creditor: str = Field(min_length=1)
    amount: int = Field(ge=0)
    reported: date
    status: Literal["unpaid", "paid"]


class PublicRecord(Strict):
    """A bankruptcy, judgment or lien."""

    kind: Literal["bankruptcy", "judgment", "tax_lien"]
    filed: date
    amount: int = Field(ge=0)


class PersonalInfo(Strict):
    """Identity fields as the bureau shows them to us: already masked."""

    name: str = Field(min_length=1)
    ssn_last4: str = Field(pattern=r"^\d{4}$")
    birth_year: int = Field(ge=1900, le=2100)
    address: str = Field(min_length=1, description="City and state only.")


class CreditReport(Strict):
    """One snapshot of a customer's report from one bureau."""

    bureau: Literal["Equifax", "Experian", "TransUnion"]
    report_date: date
    score: int = Field(ge=300, le=850)
    score_model: Literal["FICO 8", "VantageScore 3.0"]
    personal: PersonalInfo
    tradelines: list[Tradeline] = Field(default_factory=list)
    inquiries: list[Inquiry] = Field(default_factory=list)
    collections: list[Collection] = Field(default_factory=list)
    public_records: list[PublicRecord] = Field(default_factory=list)

    @field_validator("report_date")
    @classmethod
    def _not_in_future(cls, value: date) -> date:
        """A report cannot be dated after today."""
        if value > date.today():
            raise ValueError("report_date is in the future")
        return value

    @model_validator(mode="after")
    def _dates_not_after_report(self) -> CreditReport:
        """Accounts, inquiries and collections cannot postdate the report."""
        dated = [(t.id, t.opened) for t in self.tradelines] + [(i.creditor, i.date) for i in self.inquiries]
        for name, when in dated + [(c.id, c.reported) for c in self.collections]:
            if when > self.report_date:
                raise ValueError(f"{name} is dated {when}, after the report date {self.report_date}")
        return self

    def revolving_utilization(self) -> float | None:
        """Open revolving balances over limits, 0..1+, or None without open revolving credit."""
        open_revolving = [t for t in self.tradelines if t.is_revolving and t.status == "open"]
        limit = sum(t.credit_limit or 0 for t in open_revolving)
        return sum(t.balance for t in open_revolving) / limit if limit else None
