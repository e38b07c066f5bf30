"""The coach dashboard: `GET /api/coaches/me/dashboard`."""

from __future__ import annotations

import uuid
from datetime import datetime

from aiohttp import web
from pydantic import ConfigDict, Field

from booking.api.scheduling import SCHEDULING
from booking.policy import dashboard as rules
from booking.services.dashboard import Dashboard, MonthEarnings, SessionLine
from realtime.auth.access import require
from realtime.auth.models import Role
from realtime.http import ApiRoutes, Input, Output, respond

routes = ApiRoutes(tag="coaches")


class DashboardQuery(Input):
    months: int = Field(
        6, ge=1, le=24, description="Calendar months in your time zone, this one included."
    )


class Covering(Output):
    """A figure with the time it covers."""

    model_config = ConfigDict(from_attributes=True, populate_by_name=True)
    start: datetime | None = Field(
        alias="from",
        description="Start of what the figure covers (UTC, included); null: from the first.",
    )
    end: datetime | None = Field(
        alias="to",
        description="End of what it covers (UTC): now for what happened so far (included), a "
        "month's end (excluded) for a month; null: open-ended.",
    )


class SessionOut(Output):
    booking_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    session_type: str = Field(description="video, phone or chat.")
    status: str = Field(
        description="The booking's status: confirmed ahead; after the end completed, "
        "no_show_client, no_show_coach, interrupted, canceled_by_client, canceled_by_coach, "
        "or confirmed / in_progress while the outcome is not decided yet."
    )
    client_first_name: str = Field(description="The client's first name only.")


class SessionsOut(Covering):
    sessions: list[SessionOut]


class MonthEarningsOut(Covering):
    month: str = Field(description="`2026-03`: a calendar month in your time zone.")
    currency: str = Field(description="ISO 4217; the amounts are integer minor units of it.")
    gross: int = Field(description="What clients paid.")
    commission: int = Field(description="The platform's fees, net of refunded fees.")
    refunds: int = Field(description="What went back to clients.")
    net: int = Field(description="gross - commission - refunds: what you earned.")


class RateOut(Covering):
    rate: float | None = Field(description="count / decided, 0 to 1; null with none decided.")
    count: int = Field(description="Sessions with this outcome.")
    decided: int = Field(
        description="Sessions decided in the period (by their end): completed, "
        "no_show_client, no_show_coach or interrupted."
    )


class MonthRatingOut(Covering):
    month: str = Field(description="A calendar month in your time zone.")
    average: float | None = Field(description="Of the month's reviews; null without any.")
    count: int


class RatingOut(Covering):
    average: float | None = Field(description="Of all your reviews until now; null without any.")
    count: int
    trend: list[MonthRatingOut] = Field(description="The period's reviews by month, oldest first.")


class ResponsesOut(Covering):
    chat: int | None = Field(
        description="Median seconds from a client's chat message (the first of those in a row "
        "you had not answered) to your next message in that session's chat; null when nothing "
        "was answered in the period."
    )
    chat_answers: int = Field(description="How many answers the median is of.")


class RetentionOut(Covering):
    rate: float | None = Field(description="retained / clients, 0 to 1; null without clients.")
    retained: int = Field(
        description="Clients whose completed session was followed by another booking with you "
        "(paid, not canceled) starting within `window_days` after its end."
    )
    clients: int = Field(description="Clients with a completed session in the period.")
    window_days: int


class DashboardOut(Output):
    coach_id: uuid.UUID
    time_zone: str = Field(description="Your IANA zone, in which months are counted.")
    period: Covering = Field(description="The months asked for, from the first one's start.")
    upcoming: SessionsOut = Field(description="The next confirmed sessions (at most 20).")
    history: SessionsOut = Field(description="The period's ended sessions, latest first (20).")
    earnings_by_month: list[MonthEarningsOut] = Field(
        description="From the ledger, one entry per month and currency, oldest first; months "
        "with nothing are zero."
    )
    completion_rate: RateOut
    no_show_client_rate: RateOut
    no_show_coach_rate: RateOut
    rating: RatingOut
    median_response_seconds: ResponsesOut = Field(
        description="Booking changes are made at once (nothing waits for your answer), so only "
        "chat is measured."
    )
    retention: RetentionOut


@routes.get(
    "/api/coaches/me/dashboard",
    summary="Your dashboard: sessions, earnings, outcomes, rating, response time, retention",
    input=DashboardQuery,
    responses={200: DashboardOut},
    access="coach",
    errors=(403, 404),
)
async def dashboard(request: web.Request, query: DashboardQuery) -> web.StreamResponse:
    """404 `not_a_coach` without a coach profile. Clients appear by first name only."""
    caller = await require(request, Role.COACH)
    found = await request.app[SCHEDULING].dashboards.of_coach(caller.user_id, query.months)
    return respond(dashboard_out(found))


def dashboard_out(found: Dashboard) -> DashboardOut:
    covers = {"start": found.start, "end": found.now}
    outcomes = found.outcomes

    def rate(value: rules.Rate) -> RateOut:
        return RateOut(**covers, rate=value.value, count=value.count, decided=value.of)

    return DashboardOut(
        coach_id=found.coach_id,
        time_zone=found.time_zone,
        period=Covering(**covers),
        upcoming=_sessions(found.now, None, found.upcoming),
        history=_sessions(found.start, found.now, found.history),
        earnings_by_month=[_earned(e) for e in found.earnings],
        completion_rate=rate(outcomes.completed),
        no_show_client_rate=rate(outcomes.no_show_client),
        no_show_coach_rate=rate(outcomes.no_show_coach),
        rating=RatingOut(
            start=None,
            end=found.now,
            average=found.rating.average,
            count=found.rating.count,
            trend=[
                MonthRatingOut(
                    start=month.start,
                    end=month.end,
                    month=month.label,
                    average=avg.average,
                    count=avg.count,
                )
                for month, avg in zip(found.months, found.trend, strict=True)
            ],
        ),
        median_response_seconds=ResponsesOut(
            **covers, chat=found.responses.chat, chat_answers=found.responses.chat_answers
        ),
        retention=RetentionOut(
            **covers,
            rate=found.retention.rate,
            retained=found.retention.retained,
            clients=found.retention.clients,
            window_days=rules.RETENTION_WINDOW.days,
        ),
    )


def _sessions(start: datetime, end: datetime | None, lines: list[SessionLine]) -> SessionsOut:
    return SessionsOut(
        start=start,
        end=end,
        sessions=[
            SessionOut(
                booking_id=s.booking_id,
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                session_type=s.session_type,
                status=s.status,
                client_first_name=s.client_first_name,
            )
            for s in lines
        ],
    )


def _earned(earned: MonthEarnings) -> MonthEarningsOut:
    f = earned.figures
    return MonthEarningsOut(
        start=earned.month.start,
        end=earned.month.end,
        month=earned.month.label,
        currency=earned.currency,
        gross=f.gross,
        commission=f.commission,
        refunds=f.refunds,
        net=f.net,
    )
