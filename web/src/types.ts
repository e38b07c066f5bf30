// Shapes of the API's answers the client reads (see /api/openapi.json for all of them).

export interface Named {
  slug: string;
  name: string;
}
export interface Price {
  minor: number;
  currency: string;
}
export interface Offering {
  session_type: SessionType;
  rate_minor: number;
  durations: number[];
  /** Clients may join by telephone: always for phone, the coach's choice for video. */
  dial_in?: boolean;
}
export type SessionType = "video" | "phone" | "chat";

export interface CoachCard {
  id: string;
  display_name: string;
  photo_url: string | null;
  specialties: Named[];
  languages: string[];
  session_types: Offering[];
  currency: string;
  rating: { average: number | null; count: number; by_star?: Record<string, number> };
  badges: Named[];
  years_experience: number;
  time_zone: string;
  /** The coach has the app open now. */
  online: boolean;
  /** The start of the coach's earliest free slot (any type and length), or null. */
  next_available?: string | null;
}

export interface Review {
  id: string;
  rating: number;
  text: string;
  anonymous: boolean;
  client_name: string | null;
  coach_response: string | null;
  responded_at?: string | null;
  created_at: string;
}

export interface CoachProfile extends CoachCard {
  bio: string;
  approach: string;
  credentials: {
    license_type: string;
    issuing_country: string;
    issuing_region: string | null;
    expires_on: string;
    verified: boolean;
  }[];
  reviews: Review[];
}

export interface Slot {
  start: string;
  end: string;
}
export interface Slots {
  coach_id: string;
  time_zone: string;
  session_type: string;
  duration: number;
  price: Price;
  slots: Slot[];
}

/** GET /api/bookings/{id}/cancellation-policy: a client's cancellation terms in money. */
export interface CancellationTerms {
  free_until: string;
  price: Price;
  late_refund: Price;
  late_percent: number;
}

export interface Booking {
  id: string;
  coach_id: string;
  coach_name: string;
  client_id: string;
  session_type: SessionType;
  duration: number;
  starts_at: string;
  ends_at: string;
  status: string;
  hold_expires_at: string | null;
  price: Price;
  created_at: string;
  actions: string[];
  client_name?: string | null;
  /** Chat messages from the other participant not marked read (in listings). */
  unread_messages?: number;
  /** The session has its client's review (in listings). */
  reviewed?: boolean;
  /** Its participants may also join by telephone (GET /api/bookings/{id}/phone). */
  dial_in?: boolean;
}

export interface AppNotification {
  id: string;
  kind: string;
  text: string;
  booking_id: string | null;
  created_at: string;
  read_at?: string | null;
}

export interface PaymentStart {
  payment_id: string;
  provider: string;
  client_secret: string;
  status: string;
  amount: Price;
  browser: Record<string, unknown>;
}

export interface Credential {
  id?: string;
  license_type: string;
  license_number: string;
  issuing_country: string;
  issuing_region: string | null;
  expires_on: string;
  verified?: boolean;
  /** Where an admin checks it (the admins' list of registers); null when none covers it. */
  public_register?: { name: string; url: string } | null;
}

export interface Hours {
  weekday: number;
  start: string;
  end: string;
}

export interface Application {
  id: string;
  coach_id: string;
  kind: string;
  status: "pending" | "approved" | "rejected";
  submitted_at: string;
  decided_at: string | null;
  decision_reason: string | null;
  /** A profile change: the name and photo the coach asks to show. */
  proposed_display_name?: string | null;
  proposed_photo_url?: string | null;
  credentials: Credential[];
  coach_display_name?: string;
  coach_status?: string;
  references?: { name: string; email: string; relationship: string; phone: string | null }[];
}

export interface CoachSelf extends CoachCard {
  bio: string;
  approach: string;
  commission_bps: number;
  weekly_hours: Hours[];
  credentials: Credential[];
  verification: {
    status: string;
    verified_at: string | null;
    reverify_by: string | null;
    lapsed: boolean;
    listed: boolean;
  };
  applications: Application[];
}

export interface ScheduleRules {
  slot_interval: number;
  buffer_before: number;
  buffer_after: number;
  min_notice: number;
  max_advance_days: number | null;
  bookable_until: string | null;
}

export interface ClockRange {
  start: string;
  end: string;
}

export interface Schedule {
  time_zone: string;
  settings: ScheduleRules;
  weekly_hours: Hours[];
  overrides: { date: string; ranges: ClockRange[] }[];
  time_off: { id: string; starts_at: string; ends_at: string; note: string }[];
}

export interface CalendarFeed {
  active: boolean;
  created_at: string | null;
  url: string | null;
}

export interface ImportedCalendar {
  id: string;
  kind: "ical" | "caldav";
  label: string;
  host: string;
  status: "ok" | "failing";
  last_error: string | null;
  last_success_at: string | null;
  last_attempt_at: string;
  busy_count: number;
}

export interface CredentialDocument {
  id: string;
  title: string;
  file_name: string;
  content_type: string;
  size: number;
  created_at: string;
}
