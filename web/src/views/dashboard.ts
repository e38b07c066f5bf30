// The coach's practice at a glance (`GET /api/coaches/me/dashboard`): earnings by month and
// session outcomes drawn by Chart.js, each chart with its numbers in a table beside it (a
// canvas says nothing to a screen reader), rates and rating with the period they cover, and
// the latest sessions with their outcome. Client names are first names only.

import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  DoughnutController,
  Legend,
  LinearScale,
  Tooltip,
} from "chart.js";
import { explain, get } from "../api";
import { errorBox, field, fill, h, select, spinner } from "../dom";
import { dateTime, longDate, money, SESSION_TYPES, statusLabel } from "../format";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, DoughnutController, ArcElement, Legend, Tooltip);

interface Covering {
  from: string | null;
  to: string | null;
}

interface Rate extends Covering {
  rate: number | null;
  count: number;
  decided: number;
}

interface MonthEarnings extends Covering {
  month: string;
  currency: string;
  gross: number;
  commission: number;
  refunds: number;
  net: number;
}

interface DashboardSession {
  booking_id: string;
  starts_at: string;
  session_type: string;
  status: string;
  client_first_name: string;
}

interface Dashboard {
  time_zone: string;
  period: Covering;
  history: Covering & { sessions: DashboardSession[] };
  earnings_by_month: MonthEarnings[];
  completion_rate: Rate;
  no_show_client_rate: Rate;
  no_show_coach_rate: Rate;
  rating: Covering & { average: number | null; count: number; trend: (Covering & { month: string; average: number | null; count: number })[] };
  median_response_seconds: Covering & { chat: number | null; chat_answers: number };
  retention: Covering & { rate: number | null; retained: number; clients: number; window_days: number };
}

const charts = new Set<Chart>();

function percent(rate: number | null): string {
  return rate === null ? "–" : `${Math.round(rate * 100)}%`;
}

function duration(seconds: number | null): string {
  if (seconds === null) return "–";
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 360) / 10} h`;
}

function covers(figure: Covering): string {
  const from = figure.from ? longDate(figure.from) : "the start";
  const to = figure.to ? longDate(figure.to) : "now";
  return `${from} – ${to}`;
}

/** "2026-03" (a month of the coach's own calendar) as "Mar 2026". */
function monthName(month: string): string {
  const [year, number] = month.split("-").map(Number);
  return new Intl.DateTimeFormat(undefined, { month: "short", year: "numeric", timeZone: "UTC" }).format(
    new Date(Date.UTC(year ?? 2000, (number ?? 1) - 1, 15)),
  );
}

function stat(label: string, value: string, detail: string, figure: Covering): HTMLElement {
  return h(
    "div",
    { class: "stat" },
    h("p", { class: "stat-label" }, label),
    h("p", { class: "stat-value" }, value),
    h("p", { class: "hint" }, detail),
    h("p", { class: "hint" }, covers(figure)),
  );
}

function table(caption: string, head: string[], rows: string[][]): HTMLElement {
  // Scrolls sideways on its own on a narrow screen (focusable, so a keyboard can scroll it).
  return h("div", { class: "table-scroll", tabindex: 0, role: "region", "aria-label": caption }, h(
    "table",
    { class: "figures" },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, head.map((cell) => h("th", { scope: "col" }, cell)))),
    h("tbody", {}, rows.map((row) => h("tr", {}, row.map((cell, i) => (i === 0 ? h("th", { scope: "row" }, cell) : h("td", {}, cell)))))),
  ));
}

function chart(label: string, draw: (canvas: HTMLCanvasElement) => Chart): HTMLElement {
  const canvas = h("canvas", { role: "img", "aria-label": label });
  const box = h("div", { class: "chart" }, canvas);
  // Drawn once the canvas is in the page (Chart.js measures its box).
  requestAnimationFrame(() => charts.add(draw(canvas)));
  return box;
}

function earningsChart(data: Dashboard): HTMLElement {
  const months = data.earnings_by_month;
  const currencies = [...new Set(months.map((m) => m.currency))];
  const labels = [...new Set(months.map((m) => m.month))].map((m) => monthName(m));
  const rows = months.map((m) => [monthName(m.month), money({ minor: m.gross, currency: m.currency }), money({ minor: m.commission, currency: m.currency }), money({ minor: m.refunds, currency: m.currency }), money({ minor: m.net, currency: m.currency })]);
  return h(
    "div",
    { class: "chart-block" },
    h("h3", {}, "Earnings by month"),
    months.length
      ? chart(`Your net earnings by month, ${covers(data.period)}`, (canvas) =>
          new Chart(canvas, {
            type: "bar",
            data: {
              labels,
              datasets: currencies.map((currency) => ({
                label: `Net (${currency})`,
                data: months.filter((m) => m.currency === currency).map((m) => m.net / 100),
                backgroundColor: "#2f6f5e",
              })),
            },
            options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { y: { beginAtZero: true } } },
          }),
        )
      : h("p", {}, "No earnings in this period."),
    months.length ? table("Earnings by month", ["Month", "Paid by clients", "Commission", "Refunds", "You earned"], rows) : null,
  );
}

function outcomesChart(data: Dashboard): HTMLElement {
  const completed = data.completion_rate.count;
  const noShowClient = data.no_show_client_rate.count;
  const noShowCoach = data.no_show_coach_rate.count;
  const decided = data.completion_rate.decided;
  const other = Math.max(decided - completed - noShowClient - noShowCoach, 0);
  const parts: [string, number, Rate | null, string][] = [
    ["Completed", completed, data.completion_rate, "#2f6f5e"],
    ["Client no-show", noShowClient, data.no_show_client_rate, "#c28a2c"],
    ["Your no-show", noShowCoach, data.no_show_coach_rate, "#a3312a"],
    ["Interrupted", other, null, "#8a9792"],
  ];
  return h(
    "div",
    { class: "chart-block" },
    h("h3", {}, "Session outcomes"),
    decided
      ? chart(`Outcomes of your ${decided} decided sessions, ${covers(data.completion_rate)}`, (canvas) =>
          new Chart(canvas, {
            type: "doughnut",
            data: { labels: parts.map((p) => p[0]), datasets: [{ data: parts.map((p) => p[1]), backgroundColor: parts.map((p) => p[3]) }] },
            options: { animation: false, responsive: true, maintainAspectRatio: false },
          }),
        )
      : h("p", {}, "No decided sessions in this period."),
    decided ? table("Session outcomes", ["Outcome", "Sessions", "Rate"], parts.map(([name, count, rate]) => [name, String(count), rate ? percent(rate.rate) : percent(count / decided)])) : null,
  );
}

function history(data: Dashboard): HTMLElement {
  const sessions = data.history.sessions;
  return h(
    "div",
    { class: "chart-block" },
    h("h3", {}, "Recent sessions"),
    sessions.length
      ? table(
          `Your latest sessions, ${covers(data.history)}`,
          ["When", "Client", "Type", "Outcome"],
          sessions.map((s) => [dateTime(s.starts_at), s.client_first_name, SESSION_TYPES[s.session_type] ?? s.session_type, statusLabel(s.status)]),
        )
      : h("p", {}, "No sessions in this period."),
  );
}

function render(body: HTMLElement, data: Dashboard): void {
  for (const drawn of charts) drawn.destroy();
  charts.clear();
  const rating = data.rating;
  const trend = rating.trend.filter((m) => m.average !== null);
  const last = trend.at(-1);
  fill(
    body,
    h(
      "div",
      { class: "stats" },
      stat("Completed", percent(data.completion_rate.rate), `${data.completion_rate.count} of ${data.completion_rate.decided} decided sessions`, data.completion_rate),
      stat("Client no-shows", percent(data.no_show_client_rate.rate), `${data.no_show_client_rate.count} sessions`, data.no_show_client_rate),
      stat("Your no-shows", percent(data.no_show_coach_rate.rate), `${data.no_show_coach_rate.count} sessions`, data.no_show_coach_rate),
      stat(
        "Average rating",
        rating.average === null ? "–" : `${rating.average.toFixed(2)} ★`,
        `${rating.count} reviews${last && last.average !== null ? `; ${monthName(last.month)}: ${last.average.toFixed(2)}` : ""}`,
        rating,
      ),
      stat("Chat reply time", duration(data.median_response_seconds.chat), `median of ${data.median_response_seconds.chat_answers} replies`, data.median_response_seconds),
      stat("Clients who book again", percent(data.retention.rate), `${data.retention.retained} of ${data.retention.clients} within ${data.retention.window_days} days`, data.retention),
    ),
    h("div", { class: "charts" }, earningsChart(data), outcomesChart(data)),
    history(data),
  );
}

/** The dashboard section of the coach's home page. */
export async function practiceSection(section: HTMLElement): Promise<void> {
  const months = select({ name: "months" }, [3, 6, 12, 24].map((n) => ({ value: String(n), label: `Last ${n} months` })), "6");
  const body = h("div", {}, spinner("Loading your figures…"));
  fill(section, h("h2", { id: "practice-title" }, "Your practice"), field("Period", months), body);
  async function load(): Promise<void> {
    try {
      render(body, await get<Dashboard>("/api/coaches/me/dashboard", { months: months.value }));
    } catch (error) {
      fill(body, errorBox(explain(error)));
    }
  }
  months.addEventListener("change", () => void load());
  await load();
}
