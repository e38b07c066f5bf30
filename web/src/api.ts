// The HTTP API: bearer tokens kept in sessionStorage, refreshed once on a 401, errors raised as
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
  refresh_token: string;
  expires_in?: number;
}

const STORE = "flourish.auth";

interface Stored {
  tokens: Tokens;
  user: User;
  /** When the access token expires (ms since the epoch), to refresh it a little before. */
  expiresAt?: number;
}

function load(): Stored | null {
  try {
    const raw = sessionStorage.getItem(STORE);
    return raw ? (JSON.parse(raw) as Stored) : null;
  } catch {
    return null;
  }
}

let current: Stored | null = load();
const listeners = new Set<() => void>();

export function onAuthChange(listener: () => void): void {
  listeners.add(listener);
}

/** Keys of what the tab keeps for the signed-in user only (the chat's unsent messages). */
export const USER_STORE_PREFIX = "flourish.user.";

function save(stored: Stored | null): void {
  current = stored;
  if (stored) sessionStorage.setItem(STORE, JSON.stringify(stored));
  else {
    sessionStorage.removeItem(STORE);
    for (const key of Object.keys(sessionStorage)) if (key.startsWith(USER_STORE_PREFIX)) sessionStorage.removeItem(key);
  }
  for (const listener of listeners) listener();
}

export function me(): User | null {
  return current?.user ?? null;
}

export function accessToken(): string | null {
  return current?.tokens.access_token ?? null;
}

function expiry(tokens: Tokens): number | undefined {
  return tokens.expires_in ? Date.now() + tokens.expires_in * 1000 : undefined;
}

export function signIn(user: User, tokens: Tokens): void {
  save({ user, tokens, expiresAt: expiry(tokens) });
}

export function updateUser(user: User): void {
  if (current) save({ ...current, user });
}

export async function signOut(): Promise<void> {
  if (current) {
    try {
      await request("POST", "/api/auth/logout", { refresh_token: current.tokens.refresh_token });
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

/** Trade the refresh token for new tokens, once even when several requests ask at once. */
export function refresh(): Promise<boolean> {
  if (!current) return Promise.resolve(false);
  refreshing ??= (async () => {
    try {
      const response = await fetch("/api/auth/refresh", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: current?.tokens.refresh_token }),
      });
      if (!response.ok) {
        save(null);
        return false;
      }
      const body = (await response.json()) as { user: User; tokens: Tokens };
      save({ user: body.user, tokens: body.tokens, expiresAt: expiry(body.tokens) });
      return true;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
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

/** A message for people, with the field errors of a 422 spelled out. */
export function explain(error: unknown): string {
  if (error instanceof ApiError) {
    const fields = error.problem.errors?.map((e) => `${e.field}: ${e.message}`).join("; ");
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
