// The control API from the page: JSON over fetch, with the bearer token (kept in sessionStorage, never shown)
// when the daemon asks for one on TCP.

const TOKEN_KEY = "partybus.apiToken";

/** An answer that was not 2xx: its status and the API's one-line `error`. */
export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/** The token the user gave, or "" (never rendered). */
export function token() {
  return sessionStorage.getItem(TOKEN_KEY) ?? "";
}

/** Keeps the token for this tab only; "" forgets it. */
export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

let unauthorized = () => {};

/** Called whenever the API answers 401 (no or wrong token). */
export function whenUnauthorized(callback) {
  unauthorized = callback;
}

/** The headers every request carries. */
export function authHeaders() {
  const value = token();
  return value ? { Authorization: `Bearer ${value}` } : {};
}

/** Calls `method path` with an optional JSON body; resolves to the decoded answer, rejects with ApiError. */
export async function api(method, path, body) {
  const headers = { Accept: "application/json", ...authHeaders() };
  const init = { method, headers, cache: "no-store", credentials: "omit" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, `the daemon cannot be reached (${error.message})`);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (response.status === 401) unauthorized();
  if (!response.ok) {
    throw new ApiError(response.status, data?.error ?? `${response.status} ${response.statusText}`, data);
  }
  return data;
}

/** A path segment, percent-encoded. */
export const seg = (value) => encodeURIComponent(value);
