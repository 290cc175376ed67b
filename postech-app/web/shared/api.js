// What both pages share: calls to the API and to the auth function, money and DOM helpers.

const originMeta = document.querySelector('meta[name="postech-auth-origin"]');
/** Where the auth function answers: this origin behind the API Gateway, its own port locally. */
export const AUTH_ORIGIN = originMeta ? originMeta.content : "";

/** An answer other than 2xx, with the API's `detail` made readable. */
export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

function readableDetail(body, status) {
  const detail = body && body.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) return detail.map((item) => item.msg).join("; ");
  return `Erro ${status}`;
}

async function request(url, { method = "GET", body, token, headers = {} } = {}) {
  const sent = { Accept: "application/json", ...headers };
  if (body !== undefined) sent["Content-Type"] = "application/json";
  if (token) sent.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(url, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "Sem conexão com o servidor. Tente novamente.");
  }
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) throw new ApiError(response.status, readableDetail(parsed, response.status));
  return parsed;
}

/** A call to this app's API (`/v1/api/...`, `/health`). */
export function api(path, options) {
  return request(path, options);
}

/** A call to the auth function (`/auth`, `/auth/admin`). */
export function auth(path, body) {
  return request(`${AUTH_ORIGIN}${path}`, { method: "POST", body });
}

/** An idempotency key for one checkout attempt. */
export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Cents of a price as the API writes it (`"15.90"` or `15.9`), exactly. */
export function cents(value) {
  const [units, fraction = ""] = String(value).split(".");
  return Number(units) * 100 + Number((fraction + "00").slice(0, 2));
}

const BRL = new Intl.NumberFormat("pt-BR", { style: "currency", currency: "BRL" });

/** `R$ 15,90` from cents. */
export function money(centsValue) {
  return BRL.format(centsValue / 100);
}

/**
 * Builds an element without HTML parsing (no injection from names typed by staff):
 * `el("li", {class: "x", dataset: {id: "1"}}, "text", child)`.
 */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") element.className = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** Shows exactly one of the sections. */
export function show(section, ...others) {
  section.hidden = false;
  for (const other of others) other.hidden = true;
}
