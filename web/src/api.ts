// The HTTP API: a bearer token kept in memory, refreshed by cookie once on a 401, errors raised as
// `ApiError` with the problem+json `code` the server documents in docs/errors.md.

export interface Problem {
  status: number;
  code: string;
  title: string;
  detail: string;
  errors?: { field: string; message: string }[];
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail || problem.title);
  }
  get code(): string {
    return this.problem.code;
  }
  get status(): number {
    return this.problem.status;
  }
}

export interface User {
  id: string;
  email: string;
  role: "client" | "coach" | "admin";
  display_name: string;
  time_zone: string;
  two_factor_enabled: boolean;
  email_verified?: boolean;
}

interface Tokens {
  access_token: string;
  refresh_token?: string;
  expires_in?: number;
}

// The login: the access token and the user live in this page's memory only. The refresh token
// is an HttpOnly cookie (flourish_refresh, SameSite=Strict, path /api/auth) that no script can
// read, shared by every tab of this origin: a new tab, a reload or a link from an email or a
// calendar file signs in by trading the cookie for an access token (`restore`).
interface Current {
  user: User;
  accessToken: string;
  /** When the access token expires (ms since the epoch), to refresh it a little before. */
  expiresAt?: number;
}

let current: Current | null = null;
const listeners = new Set<() => void>();

export function onAuthChange(listener: () => void): void {
  listeners.add(listener);
}

/** Keys of what the tab keeps for the signed-in user only (the chat's unsent messages). */
export const USER_STORE_PREFIX = "flourish.user.";

function save(next: Current | null): void {
  current = next;
  if (!next) {
    for (const key of Object.keys(sessionStorage)) if (key.startsWith(USER_STORE_PREFIX)) sessionStorage.removeItem(key);
  }
  for (const listener of listeners) listener();
}

export function me(): User | null {
  return current?.user ?? null;
}

export function accessToken(): string | null {
  return current?.accessToken ?? null;
}

function expiry(tokens: Tokens): number | undefined {
  return tokens.expires_in ? Date.now() + tokens.expires_in * 1000 : undefined;
}

export function signIn(user: User, tokens: Tokens): void {
  save({ user, accessToken: tokens.access_token, expiresAt: expiry(tokens) });
}

export function updateUser(user: User): void {
  if (current) save({ ...current, user });
}

export async function signOut(): Promise<void> {
  if (current) {
    try {
      await request("POST", "/api/auth/logout"); // also clears the cookie
    } catch {
      // Signing out locally is what matters; the server session expires by itself.
    }
  }
  save(null);
}

/** Refresh shortly before the access token expires, rather than after a 401. */
export async function fresh(): Promise<void> {
  if (current?.expiresAt && Date.now() > current.expiresAt - 30_000) await refresh();
}

let refreshing: Promise<boolean> | null = null;

async function tradeCookie(): Promise<boolean> {
  const response = await fetch("/api/auth/refresh", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-Flourish-Refresh": "1" },
    body: "{}",
  });
  if (!response.ok) {
    document.cookie = `${LOGIN_MARKER}=; Max-Age=0; Path=/; SameSite=Strict`;
    save(null);
    return false;
  }
  const body = (await response.json()) as { user: User; tokens: Tokens };
  signIn(body.user, body.tokens);
  return true;
}

/** Trade the refresh cookie for new tokens, once even when several requests ask at once. Tabs
 * take turns (Web Locks): each refresh rotates the cookie, and two tabs presenting the same one
 * at once would look like a stolen token and end the login. */
export function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      if (navigator.locks) return await navigator.locks.request("flourish-refresh", tradeCookie);
      return await tradeCookie();
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

// Set beside the refresh cookie, readable, holding no secret: this browser has a login.
const LOGIN_MARKER = "flourish_login";

/** At start: sign in from the refresh cookie if this browser has a login. */
export function restore(): Promise<boolean> {
  const marked = document.cookie.split("; ").includes(`${LOGIN_MARKER}=1`);
  return marked ? refresh() : Promise.resolve(false);
}

export function idempotencyKey(): string {
  return crypto.randomUUID();
}

type Query = Record<string, string | number | boolean | null | undefined | string[]>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === null || value === undefined || value === "") continue;
    if (Array.isArray(value)) for (const item of value) params.append(name, item);
    else params.append(name, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  options: { idempotencyKey?: string; retried?: boolean } = {},
): Promise<T> {
  if (!path.startsWith("/api/auth/")) await fresh();
  const headers: Record<string, string> = { Accept: "application/json" };
  // Logins answer this page with the refresh token in the HttpOnly cookie only.
  if (path.startsWith("/api/auth/")) headers["X-Flourish-Refresh"] = "1";
  const token = accessToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (options.idempotencyKey) headers["Idempotency-Key"] = options.idempotencyKey;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError({
      status: 0,
      code: "network",
      title: "Network error",
      detail: "The server could not be reached. Check your connection and try again.",
    });
  }
  if (response.status === 401 && token && !options.retried && (await refresh())) {
    return request<T>(method, path, body, { ...options, retried: true });
  }
  if (!response.ok) {
    let problem: Problem;
    try {
      problem = (await response.json()) as Problem;
    } catch {
      problem = { status: response.status, code: "http", title: response.statusText, detail: "" };
    }
    throw new ApiError(problem);
  }
  if (response.status === 204) return undefined as T;
  const type = response.headers.get("Content-Type") ?? "";
  return (type.includes("json") ? await response.json() : await response.text()) as T;
}

export const get = <T>(path: string, query?: Query): Promise<T> =>
  request<T>("GET", withQuery(path, query));
export const post = <T>(path: string, body: unknown = {}, key?: string): Promise<T> =>
  request<T>("POST", path, body, { idempotencyKey: key });
export const patch = <T>(path: string, body: unknown): Promise<T> => request<T>("PATCH", path, body);
export const put = <T>(path: string, body: unknown = {}): Promise<T> => request<T>("PUT", path, body);
export const del = <T>(path: string): Promise<T> => request<T>("DELETE", path);

/** A message for people, with the field errors of a 422 spelled out (`names`: what the page
 * calls each field). */
export function explain(error: unknown, names: Record<string, string> = {}): string {
  if (error instanceof ApiError) {
    const fields = error.problem.errors?.map((e) => `${names[e.field] ?? e.field}: ${e.message}`).join("; ");
    return fields ? `${error.message} (${fields})` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

let routes: Promise<Set<string>> | null = null;

/** Whether the server has a route (from its OpenAPI document), so the client does not probe
 * for features that later issues add and collect 404s. */
export function has(method: string, path: string): Promise<boolean> {
  routes ??= fetch("/api/openapi.json")
    .then((r) => r.json())
    .then((doc: { paths: Record<string, Record<string, unknown>> }) => {
      const found = new Set<string>();
      for (const [route, ops] of Object.entries(doc.paths)) for (const m of Object.keys(ops)) found.add(`${m.toUpperCase()} ${route}`);
      return found;
    })
    .catch(() => new Set<string>());
  return routes.then((found) => found.has(`${method.toUpperCase()} ${path}`));
}
