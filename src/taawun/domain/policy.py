"""The co-op's Policy: the typed, versioned document of every rule the platform applies.

Only the founding assembly or a passed member decision creates a new version; every operation
records the version it ran under. Structure is parsed by pydantic; the co-op rules and legal floors
are checked by :func:`validate` so that refusals carry translatable messages.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .canonical import plain
from .errors import InvalidInput, gettext_noop
from .money import MINOR_UNITS, Money, quantum

LANGUAGES = ("ar", "en")
# The usual classes of a multi-stakeholder co-op and the names founders most often give them
# in both languages; the founding page and `taawun init` offer them.
STANDARD_CLASS_NAMES: dict[str, dict[str, str]] = {
    "worker": {"ar": "عضو عامل", "en": "Worker member"},
    "user": {"ar": "عضو مستخدم", "en": "User member"},
    "supporter": {"ar": "عضو داعم", "en": "Supporter member"},
}
DECISION_KINDS = (
    "ordinary",
    "policy_change",
    "bylaw_change",
    "admission",
    "election",
    "rate",
    "poll",
)
# The methods each kind of decision may use. A yes/no decision binds by its threshold; an
# election fills seats; a rate sets one numeric rule to the median of the values members pick;
# a poll asks the members' preferences among options and binds nothing by itself.
YES_NO_METHODS = ("consent", "majority", "supermajority")
METHODS_BY_KIND: dict[str, tuple[str, ...]] = {
    "ordinary": YES_NO_METHODS,
    "policy_change": YES_NO_METHODS,
    "bylaw_change": YES_NO_METHODS,
    "admission": YES_NO_METHODS,
    "election": ("stv", "ranked", "approval"),
    "rate": ("numeric",),
    "poll": ("approval", "score", "dot", "ranked"),
}


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Text(Frozen):
    """A label in both of the platform's languages."""

    ar: str = Field(min_length=1, max_length=120)
    en: str = Field(min_length=1, max_length=120)

    def get(self, language: str) -> str:
        return self.ar if language.startswith("ar") else self.en


class MemberClass(Frozen):
    """A class of membership (worker, user, supporter...) with its share terms."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{1,30}$")
    name: Text
    share_price: Decimal = Field(gt=0, max_digits=15)
    shares_required: int = Field(default=1, ge=1, le=1000)
    instalments: int = Field(default=1, ge=1, le=60)
    instalment_interval_days: int = Field(default=30, ge=1, le=366)
    votes: bool = True
    works: bool = False


class MembershipRules(Frozen):
    classes: tuple[MemberClass, ...] = Field(min_length=1, max_length=10)
    admission_by: Literal["board", "vote"] = "board"
    voting_rights: Literal["on_admission", "when_paid"] = "on_admission"
    exit_notice_days: int = Field(default=30, ge=0, le=730)
    repayment_days: int = Field(default=90, ge=0, le=1825)
    transfers_allowed: bool = True


class DecisionRule(Frozen):
    """How one kind of decision is taken.

    Quorum is participation: members who took part, abstentions included, as a share of those
    eligible. A majority needs more than ``threshold_percent`` of the ``basis``; a supermajority
    and consent need at least that share, read at the policy's two decimals (so 66.67 is two
    thirds: six votes of nine pass).
    """

    method: Literal[
        "consent",
        "majority",
        "supermajority",
        "numeric",
        "approval",
        "score",
        "dot",
        "ranked",
        "stv",
    ] = "majority"
    quorum_percent: Decimal = Field(default=Decimal(50), ge=0, le=100, decimal_places=2)
    threshold_percent: Decimal = Field(default=Decimal(50), ge=0, le=100, decimal_places=2)
    basis: Literal["cast", "cast_with_abstentions", "eligible"] = "cast"
    block_threshold: int = Field(default=1, ge=1, le=1000)  # consent: blocks that stop it
    secret: bool = False  # who voted is kept apart from what was voted
    voting_days: int = Field(default=7, ge=1, le=90)
    protected: bool = False


class AssemblyRequestRules(Frozen):
    """Members' requests for an extraordinary assembly: once this share of the members with a
    vote (never fewer than the minimum, unless there are fewer members) sign within the signing
    days, the board must call the assembly within the answer days."""

    support_percent: Decimal = Field(default=Decimal(10), ge=0, le=100, decimal_places=2)
    minimum_signatures: int = Field(default=3, ge=1, le=1000)
    signing_days: int = Field(default=30, ge=1, le=365)
    answer_days: int = Field(default=30, ge=1, le=365)


class GovernanceRules(Frozen):
    decisions: dict[str, DecisionRule]
    board_size: int = Field(default=3, ge=1, le=50)
    board_term_months: int = Field(default=24, ge=1, le=120)
    # Rules under these paths are bylaw-level: changing them is a bylaw change.
    protected_rules: tuple[str, ...] = ("membership", "governance")
    probation_days: int = Field(default=0, ge=0, le=730)  # new members vote after this
    # An instalment unpaid this many days past its due date suspends the vote (0: never).
    lapse_after_days: int = Field(default=0, ge=0, le=730)
    delegation: bool = False  # members may hand their vote on a kind of decision to another
    reminder_hours: int = Field(default=24, ge=0, le=720)  # before a vote closes
    assembly_requests: AssemblyRequestRules = AssemblyRequestRules()


Percent = Decimal


def percent(default: str) -> Any:
    return Field(default=Decimal(default), ge=0, le=100, max_digits=5, decimal_places=2)


class SurplusRules(Frozen):
    """How a period's member surplus is shared (ICA principle 3) and a loss is borne.

    The reserve, education and solidarity shares come off the top; what is left is paid to
    members as patronage dividends in proportion to their work with the co-op, part in cash and
    the rest credited to their internal capital accounts. Profit from business with non-members
    is not patronage: it all goes to the indivisible reserve.
    """

    reserve_percent: Percent = percent("30")
    education_percent: Percent = percent("5")
    solidarity_percent: Percent = percent("10")
    patronage_basis: Literal["hours", "revenue", "blend"] = "hours"
    blend_hours_percent: Percent = percent("50")  # the hours' weight when the basis is a blend
    cash_percent: Percent = percent("20")  # of each dividend; the rest goes to capital accounts
    legal_reserve_floor_percent: Percent = percent("0")  # e.g. 30 where the law asks for it
    loss_from_reserve_percent: Percent = percent("100")  # the rest is charged to capital accounts


class SolidarityRules(Frozen):
    """The solidarity fund: who may claim, who decides, how much at most."""

    reasons: tuple[str, ...] = ("sickness", "injury", "parental_leave", "equipment")
    decided_by: Literal["board", "vote"] = "board"
    max_claim_percent_of_fund: Percent = percent("25")


class FeeRules(Frozen):
    """What the co-op keeps of each price. Tips are never touched: they go whole to the worker."""

    coop_fee_percent: Percent = percent("10")
    solidarity_percent: Percent = percent("2")  # to the solidarity fund
    tax_percent: Percent = percent("0")  # included in the price, e.g. VAT where it applies


def price(default: str) -> Any:
    """An amount in the co-op's currency (checked against its minor unit by ``validate``)."""
    return Field(default=Decimal(default), ge=0, max_digits=12)


class TripPrices(Frozen):
    """Rides and deliveries: base + distance + time, never below the minimum fare. Beyond
    ``long_after_km`` each kilometre costs ``per_km_long`` (long trips cost less per km)."""

    base: Decimal = price("5.00")
    per_km: Decimal = price("1.50")
    per_km_long: Decimal = price("1.00")
    long_after_km: Decimal = Field(default=Decimal(16), ge=0, le=1000)
    per_minute: Decimal = price("0.30")
    minimum_fare: Decimal = price("12.00")


class ServicePrices(Frozen):
    """Scheduled services: an hourly rate with a minimum booking; a late cancellation costs a
    share of the price (it pays the worker who kept the slot)."""

    hourly_rate: Decimal = price("45.00")
    minimum_hours: Decimal = Field(default=Decimal(2), ge=0, le=24)
    late_cancellation_hours: int = Field(default=24, ge=0, le=720)
    late_cancellation_percent: Percent = percent("25")


class SurgeRules(Frozen):
    """Prices that rise with demand: off unless the members turn them on, and capped."""

    enabled: bool = False
    max_multiplier: Decimal = Field(default=Decimal("1.5"), ge=1, le=3)


class EarningsFloor(Frozen):
    """A worker whose earnings per active hour in a period fall below ``hourly`` is topped up
    from ``fund`` (as the New York and Minnesota driver rules do)."""

    enabled: bool = True
    hourly: Decimal = price("30.00")
    fund: Literal["solidarity_fund", "reserve"] = "solidarity_fund"
    period_days: int = Field(default=14, ge=1, le=92)


class Licence(Frozen):
    """A kind of licence to a creative work, its price, and the creator's royalty (the share of
    the price before tax that goes to the creator; the solidarity share comes out of the rest
    and the co-op keeps what is left)."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{1,30}$")
    name: Text
    price: Decimal = price("10.00")
    royalty_percent: Percent = percent("50")


class WorkPrices(Frozen):
    """Creative works are sold as licences at prices the members set, like a stock agency whose
    photographers own it."""

    licences: tuple[Licence, ...] = Field(
        default=(
            Licence(
                key="personal",
                name=Text(ar="استخدام شخصي", en="Personal use"),
                price=Decimal("15.00"),
                royalty_percent=Decimal(50),
            ),
            Licence(
                key="commercial",
                name=Text(ar="استخدام تجاري", en="Commercial use"),
                price=Decimal("60.00"),
                royalty_percent=Decimal(50),
            ),
            Licence(
                key="extended",
                name=Text(ar="ترخيص موسّع", en="Extended licence"),
                price=Decimal("250.00"),
                royalty_percent=Decimal(75),
            ),
        ),
        min_length=1,
        max_length=10,
    )


class PricingRules(Frozen):
    trips: TripPrices = TripPrices()
    services: ServicePrices = ServicePrices()
    works: WorkPrices = WorkPrices()
    surge: SurgeRules = SurgeRules()
    earnings_floor: EarningsFloor = EarningsFloor()


class DispatchRules(Frozen):
    """How open requests are matched to available workers, batch by batch. The fairness
    weight favours workers earning below the mean per active hour; no protected attribute is
    ever an input."""

    fairness_weight: Decimal = Field(default=Decimal("0.6"), ge=0, le=10)
    unassigned_penalty_km: Decimal = Field(default=Decimal(30), gt=0, le=1000)
    max_pickup_km: Decimal = Field(default=Decimal(15), gt=0, le=500)
    batch_seconds: int = Field(default=5, ge=1, le=300)
    candidates_per_request: int = Field(default=20, ge=1, le=500)
    time_limit_ms: int = Field(default=500, ge=10, le=10_000)
    decline_counts_against: bool = False


class AccountingRules(Frozen):
    period: Literal["month", "year"] = "year"
    surplus: SurplusRules = SurplusRules()
    solidarity: SolidarityRules = SolidarityRules()


class FederationRules(Frozen):
    """Working with sister co-ops: passing on work we cannot do, and trading on mutual credit.

    ``credit_limit`` is the most any one sister co-op may owe us; the board opens each line at
    or below it, so how much credit the co-op extends is always the members' decision."""

    referral_fee_percent: Percent = percent("5")  # asked of a sister co-op we pass work to
    max_referral_fee_percent: Percent = percent("10")  # the most we pay for work passed to us
    referral_timeout_hours: int = Field(default=48, ge=1, le=720)
    transfer_timeout_hours: int = Field(default=72, ge=1, le=720)
    credit_limit: Decimal = price("1000.00")


LessonRef = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,59}/[a-z0-9][a-z0-9-]{0,59}$")]


class RoleLessons(Frozen):
    """Lessons (``course/lesson``) a person passes before an administrator may grant a role or
    a member may stand for the board. An empty list asks for nothing."""

    board: tuple[LessonRef, ...] = Field(default=(), max_length=20)
    admin: tuple[LessonRef, ...] = Field(default=(), max_length=20)
    teacher: tuple[LessonRef, ...] = Field(default=(), max_length=20)


class SchoolRules(Frozen):
    """What the co-op's school asks of its members; every requirement is optional."""

    pass_percent: Percent = percent("80")  # of a quiz's questions answered right to pass
    before_role: RoleLessons = RoleLessons()
    before_first_vote: tuple[LessonRef, ...] = Field(default=(), max_length=20)
    page_editors: Literal["members", "teachers"] = "members"  # who may edit the knowledge base

    def lesson_refs(self) -> list[str]:
        """Every lesson these rules ask for, before a first vote or any role."""
        return [*self.before_first_vote, *(ref for _role, refs in self.before_role for ref in refs)]


class Policy(Frozen):
    schema_version: Literal[1] = 1
    currency: str
    languages: tuple[str, ...] = LANGUAGES
    membership: MembershipRules
    governance: GovernanceRules
    fees: FeeRules = FeeRules()
    pricing: PricingRules = PricingRules()
    dispatch: DispatchRules = DispatchRules()
    accounting: AccountingRules = AccountingRules()
    federation: FederationRules = FederationRules()
    school: SchoolRules = SchoolRules()

    def member_class(self, key: str) -> MemberClass:
        for member_class in self.membership.classes:
            if member_class.key == key:
                return member_class
        raise InvalidInput(
            "unknown_member_class", gettext_noop("There is no member class %(key)s."), key=key
        )

    def licence(self, key: str) -> Licence:
        for licence in self.pricing.works.licences:
            if licence.key == key:
                return licence
        raise InvalidInput("unknown_licence", gettext_noop("There is no licence %(key)s."), key=key)

    def share_total(self, key: str) -> Money:
        member_class = self.member_class(key)
        return Money(member_class.share_price, self.currency).times(member_class.shares_required)

    def to_document(self) -> dict[str, Any]:
        """The JSON-ready document stored with each version (canonical types only)."""
        document: dict[str, Any] = plain(self.model_dump(mode="python"))
        return document


def parse(document: dict[str, Any]) -> Policy:
    """Build a Policy from its stored document and check every rule; the only way in."""
    try:
        policy = Policy.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise InvalidInput(
            "invalid_policy",
            gettext_noop("The policy field %(field)s is not valid."),
            field=field or "-",
        ) from None
    validate(policy)
    return policy


def validate(policy: Policy) -> None:
    """The co-op rules and floors that no policy version may break."""
    if policy.currency not in MINOR_UNITS:
        raise InvalidInput(
            "unknown_currency", gettext_noop("Unknown currency %(code)s."), code=policy.currency
        )
    if not policy.languages or any(lang not in LANGUAGES for lang in policy.languages):
        raise InvalidInput(
            "bad_languages", gettext_noop("Languages must be Arabic and/or English.")
        )
    keys = [c.key for c in policy.membership.classes]
    if len(set(keys)) != len(keys):
        raise InvalidInput("duplicate_class", gettext_noop("Member class keys must be unique."))
    if not any(c.votes for c in policy.membership.classes):
        raise InvalidInput(
            "no_voting_class", gettext_noop("At least one member class must have a vote.")
        )
    for member_class in policy.membership.classes:
        Money(member_class.share_price, policy.currency)  # refuses sub-minor-unit prices
        total = policy.share_total(member_class.key)
        if total.amount < quantum(policy.currency) * member_class.instalments:
            raise InvalidInput(
                "instalments_too_small",
                gettext_noop(
                    "Each instalment of the %(key)s class must be at least one minor unit."
                ),
                key=member_class.key,
            )
    missing = [kind for kind in DECISION_KINDS if kind not in policy.governance.decisions]
    if missing:
        raise InvalidInput(
            "missing_decision_rule",
            gettext_noop("The policy needs a rule for %(kind)s decisions."),
            kind=missing[0],
        )
    for kind, rule in policy.governance.decisions.items():
        if kind not in DECISION_KINDS:
            raise InvalidInput(
                "unknown_decision_kind", gettext_noop("Unknown decision kind %(kind)s."), kind=kind
            )
        if rule.method not in METHODS_BY_KIND[kind]:
            raise InvalidInput(
                "method_not_for_kind",
                gettext_noop("%(method)s cannot decide %(kind)s decisions."),
                method=rule.method,
                kind=kind,
            )
        if rule.method in ("majority", "supermajority") and rule.threshold_percent < 50:
            raise InvalidInput(
                "threshold_too_low",
                gettext_noop("A vote threshold below 50%% would let a minority decide (%(kind)s)."),
                kind=kind,
            )
    if policy.fees.coop_fee_percent + policy.fees.solidarity_percent > 100:
        raise InvalidInput(
            "fees_over_100",
            gettext_noop("The co-op fee and the solidarity share together exceed the whole price."),
        )
    validate_surplus(policy.accounting.surplus)
    _validate_prices(policy)
    ordinary = policy.governance.decisions["ordinary"]
    bylaw = policy.governance.decisions["bylaw_change"]
    if not bylaw.protected or bylaw.threshold_percent < ordinary.threshold_percent:
        raise InvalidInput(
            "bylaw_unprotected",
            gettext_noop(
                "Bylaw changes must be protected and need at least the ordinary threshold."
            ),
        )


def _validate_prices(policy: Policy) -> None:
    """Every price is whole minor units of the co-op's currency."""
    pricing = policy.pricing
    for amount in (
        pricing.trips.base,
        pricing.trips.per_km,
        pricing.trips.per_km_long,
        pricing.trips.per_minute,
        pricing.trips.minimum_fare,
        pricing.services.hourly_rate,
        pricing.earnings_floor.hourly,
        *(licence.price for licence in pricing.works.licences),
        policy.federation.credit_limit,
    ):
        Money(amount, policy.currency)  # refuses sub-minor-unit prices
    keys = [licence.key for licence in pricing.works.licences]
    if len(set(keys)) != len(keys):
        raise InvalidInput("duplicate_licence", gettext_noop("Licence keys must be unique."))
    for licence in pricing.works.licences:
        if licence.price <= 0:
            raise InvalidInput(
                "licence_free", gettext_noop("The %(key)s licence needs a price."), key=licence.key
            )
        if licence.royalty_percent + policy.fees.solidarity_percent > 100:
            raise InvalidInput(
                "royalty_over_100",
                gettext_noop(
                    "The %(key)s royalty and the solidarity share together exceed the whole price."
                ),
                key=licence.key,
            )


def validate_surplus(rules: SurplusRules) -> None:
    """The shares taken off the top leave something to share, and the reserve meets the law."""
    taken = rules.reserve_percent + rules.education_percent + rules.solidarity_percent
    if taken > 100:
        raise InvalidInput(
            "surplus_over_100",
            gettext_noop(
                "The reserve, education and solidarity shares together exceed the whole surplus."
            ),
        )
    if rules.reserve_percent < rules.legal_reserve_floor_percent:
        raise InvalidInput(
            "reserve_below_floor",
            gettext_noop("The reserve share is below the legal floor of %(floor)s%%."),
            floor=str(rules.legal_reserve_floor_percent),
        )


def founding_policy(
    *,
    currency: str,
    classes: list[dict[str, Any]],
    languages: tuple[str, ...] = LANGUAGES,
    admission_by: str = "board",
) -> Policy:
    """A sensible first policy: the founders choose classes and prices, the rest has defaults."""
    majority = {"method": "majority", "quorum_percent": "50", "threshold_percent": "50"}
    election = {
        "method": "stv",
        "quorum_percent": "50",
        "secret": True,  # a secret ballot  # nosec B105
        "voting_days": 14,
    }
    document = {
        "currency": currency,
        "languages": list(languages),
        "membership": {"classes": classes, "admission_by": admission_by},
        "governance": {
            "decisions": {
                "ordinary": majority,
                "admission": majority,
                "election": election,
                "rate": {"method": "numeric", "quorum_percent": "50"},
                "poll": {"method": "approval", "quorum_percent": "0"},
                "policy_change": {
                    "method": "majority",
                    "quorum_percent": "50",
                    "threshold_percent": "60",
                },
                "bylaw_change": {
                    "method": "supermajority",
                    "quorum_percent": "66",
                    "threshold_percent": "66.67",
                    "protected": True,
                },
            }
        },
    }
    return parse(document)
