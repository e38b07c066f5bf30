"""Errors a client can act on: one hierarchy, stable codes.

Clients branch on `code`; add codes, never rename one, and list each in `docs/errors.md`.
`realtime/problems.py` renders them as `application/problem+json`; the socket.io edge answers
`{"ok": false, "error": {"code", "message"}}`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Code(StrEnum):
    # generic
    BAD_REQUEST = "bad_request"
    VALIDATION_FAILED = "validation_failed"
    MALFORMED_JSON = "malformed_json"
    MALFORMED_REQUEST = "malformed_request"
    REQUEST_LINE_TOO_LONG = "request_line_too_long"
    HEADERS_TOO_LARGE = "headers_too_large"
    BODY_TOO_LARGE = "body_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"
    RATE_LIMITED = "rate_limited"
    INTERNAL = "internal"
    UNAVAILABLE = "unavailable"
    BAD_PAYLOAD = "bad_payload"
    SEALED_DATA_DAMAGED = "sealed_data_damaged"
    # auth
    UNAUTHENTICATED = "unauthenticated"
    TOKEN_EXPIRED = "token_expired"
    TOKEN_INVALID = "token_invalid"
    INVALID_CREDENTIALS = "invalid_credentials"
    OTP_REQUIRED = "otp_required"
    OTP_INVALID = "otp_invalid"
    TWO_FACTOR_SETUP_REQUIRED = "two_factor_setup_required"
    TWO_FACTOR_ALREADY_ENABLED = "two_factor_already_enabled"
    TWO_FACTOR_NOT_ENABLED = "two_factor_not_enabled"
    TWO_FACTOR_NOT_SET_UP = "two_factor_not_set_up"
    FORBIDDEN = "forbidden"
    EMAIL_TAKEN = "email_taken"
    ACCOUNT_DISABLED = "account_disabled"
    USER_NOT_FOUND = "user_not_found"
    CANNOT_DISABLE_SELF = "cannot_disable_self"
    EMAIL_UNVERIFIED = "email_unverified"
    EMAIL_ALREADY_VERIFIED = "email_already_verified"
    LINK_INVALID = "link_invalid"
    # coaches
    COACH_NOT_FOUND = "coach_not_found"
    UNKNOWN_SPECIALTY = "unknown_specialty"
    UNKNOWN_LANGUAGE = "unknown_language"
    UNKNOWN_TIME_ZONE = "unknown_time_zone"
    UNSUPPORTED_CURRENCY = "unsupported_currency"
    APPLICATION_EXISTS = "application_exists"
    APPLICATION_NOT_FOUND = "application_not_found"
    APPLICATION_NOT_PENDING = "application_not_pending"
    AGREEMENT_OUTDATED = "agreement_outdated"
    NOT_A_COACH = "not_a_coach"
    BADGE_NOT_FOUND = "badge_not_found"
    INVALID_CURSOR = "invalid_cursor"
    ALREADY_VERIFIED = "already_verified"
    NOT_VERIFIED = "not_verified"
    SPECIALTY_EXISTS = "specialty_exists"
    BADGE_EXISTS = "badge_exists"
    # bookings
    SLOT_TAKEN = "slot_taken"
    SLOT_UNAVAILABLE = "slot_unavailable"
    SLOT_IN_PAST = "slot_in_past"
    SLOT_TOO_SOON = "slot_too_soon"
    SLOT_TOO_FAR = "slot_too_far"
    SESSION_TYPE_NOT_OFFERED = "session_type_not_offered"
    DURATION_NOT_OFFERED = "duration_not_offered"
    CANNOT_BOOK_SELF = "cannot_book_self"
    BOOKING_NOT_FOUND = "booking_not_found"
    ILLEGAL_TRANSITION = "illegal_transition"
    HOLD_EXPIRED = "hold_expired"
    HOLD_LIMIT = "hold_limit"
    HOLD_LIMIT_PER_COACH = "hold_limit_per_coach"
    HOLD_COOLDOWN = "hold_cooldown"
    RESCHEDULE_NEEDS_CONSENT = "reschedule_needs_consent"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    IDEMPOTENCY_IN_PROGRESS = "idempotency_in_progress"
    PAYMENT_FAILED = "payment_failed"
    PAYMENT_NOT_FOUND = "payment_not_found"
    BOOKING_NOT_CONFIRMED = "booking_not_confirmed"
    TIME_OFF_NOT_FOUND = "time_off_not_found"
    # reviews
    REVIEW_NOT_FOUND = "review_not_found"
    REVIEW_NOT_ALLOWED = "review_not_allowed"
    ALREADY_REVIEWED = "already_reviewed"
    ALREADY_RESPONDED = "already_responded"
    ALREADY_HIDDEN = "already_hidden"
    # imported calendars
    CALENDAR_NOT_FOUND = "calendar_not_found"
    CALENDAR_UNREACHABLE = "calendar_unreachable"
    CALENDAR_MALFORMED = "calendar_malformed"
    CALENDAR_LOGIN_FAILED = "calendar_login_failed"
    CALENDAR_ADDRESS_REFUSED = "calendar_address_refused"
    CALENDAR_LIMIT = "calendar_limit"
    # payments
    AMOUNT_NOT_POSITIVE = "amount_not_positive"
    CURRENCY_MISMATCH = "currency_mismatch"
    REFUND_TOO_LARGE = "refund_too_large"
    NOTHING_TO_REFUND = "nothing_to_refund"
    WEBHOOK_SIGNATURE_INVALID = "webhook_signature_invalid"
    WEBHOOK_EVENT_INVALID = "webhook_event_invalid"
    WEBHOOK_UNKNOWN_PAYMENT = "webhook_unknown_payment"
    WEBHOOKS_NOT_CONFIGURED = "webhooks_not_configured"
    PAYOUT_ACCOUNT_INVALID = "payout_account_invalid"
    # socket.io
    UNKNOWN_EVENT = "unknown_event"
    TOO_MANY_WATCHES = "too_many_watches"
    # sessions (socket.io /session)
    SESSION_NOT_OPEN = "session_not_open"
    SESSION_OVER = "session_over"
    ROOM_FULL = "room_full"
    NOT_JOINED = "not_joined"
    ALREADY_JOINED = "already_joined"
    PEER_NOT_FOUND = "peer_not_found"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    JOIN_TIMEOUT = "join_timeout"
    TAKEN_OVER = "taken_over"
    SESSION_CLOSED = "session_closed"
    SERVER_EVENT = "server_event"
    TOO_MANY_SOCKETS = "too_many_sockets"
    # chat (socket.io /session, and a booking's messages over HTTP)
    MESSAGE_EMPTY = "message_empty"
    UNKNOWN_SEQ = "unknown_seq"
    # Shared resources
    FILE_TOO_LARGE = "file_too_large"
    FILE_EMPTY = "file_empty"
    FILE_TYPE_REFUSED = "file_type_refused"
    DOCUMENT_LIMIT = "document_limit"
    PHONE_NOT_OFFERED = "phone_not_offered"
    PHONE_BUSY = "phone_busy"
    RESOURCE_LIMIT = "resource_limit"
    DOWNLOAD_LINK_INVALID = "download_link_invalid"
    DOWNLOAD_LINK_EXPIRED = "download_link_expired"


@dataclass
class FieldError:
    """One bad field of a request: a dotted path (`body.rates.0.minor`) and what is wrong."""

    field: str
    message: str


class AppError(Exception):
    """A refusal the client can understand. Subclasses fix the HTTP status."""

    status = 400
    title = "Bad request"

    def __init__(
        self,
        code: Code,
        message: str,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.errors = errors or []
        self.headers = headers or {}


class BadRequest(AppError):
    status = 400
    title = "Bad request"


class ValidationFailed(AppError):
    status = 422
    title = "Validation failed"

    def __init__(self, errors: list[FieldError], message: str | None = None) -> None:
        summary = message or "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
        super().__init__(Code.VALIDATION_FAILED, summary, errors=errors)


class Unprocessable(AppError):
    """A well-formed request naming something we do not know (a specialty, a language, a time
    zone) or that the rules refuse (a slot off the grid, a duration not offered): 422 with its
    own code and the offending fields."""

    status = 422
    title = "Validation failed"

    def __init__(self, code: Code, errors: list[FieldError]) -> None:
        super().__init__(
            code, "; ".join(f"{e.field}: {e.message}" for e in errors[:5]), errors=errors
        )


class Unauthorized(AppError):
    status = 401
    title = "Unauthorized"


class Forbidden(AppError):
    status = 403
    title = "Forbidden"


class NotFound(AppError):
    status = 404
    title = "Not found"


class Conflict(AppError):
    status = 409
    title = "Conflict"


class PaymentRequired(AppError):
    """The payment did not go through (a declined card): 402."""

    status = 402
    title = "Payment required"


class PayloadTooLarge(AppError):
    status = 413
    title = "Payload too large"


class UnsupportedMediaType(AppError):
    status = 415
    title = "Unsupported media type"


class TooManyRequests(AppError):
    status = 429
    title = "Too many requests"

    def __init__(self, message: str, retry_after: int, code: Code = Code.RATE_LIMITED) -> None:
        super().__init__(code, message, headers={"Retry-After": str(max(1, retry_after))})


class Unavailable(AppError):
    status = 503
    title = "Service unavailable"
