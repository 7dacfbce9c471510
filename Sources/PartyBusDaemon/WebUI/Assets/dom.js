// Small DOM helpers: elements are built with textContent only (no HTML from data), no inline styles (the CSP
// forbids them).

/** `h("td", {class: "x", onclick: f}, "text", child)` */
export function h(tag, props, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") element.className = value;
    else if (key === "dataset") Object.assign(element.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") element.addEventListener(key.slice(2), value);
    else if (["value", "checked", "disabled", "open"].includes(key)) element[key] = value;
    else element.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** The first element matching `selector`. */
export const $ = (selector, root = document) => root.querySelector(selector);

/** Epoch milliseconds as local `HH:MM:SS.mmm`. */
export function clock(ms) {
  const date = new Date(ms);
  const pad = (n, width = 2) => String(n).padStart(width, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** An ISO date as a short local date and time. */
export function when(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** A button that disables itself while `action` runs and reports a failure through `fail`. */
export function button(label, action, { kind = "", title, fail, id } = {}) {
  const element = h("button", { type: "button", class: kind, title, id });
  element.textContent = label;
  element.addEventListener("click", async () => {
    element.disabled = true;
    try {
      await action();
    } catch (error) {
      (fail ?? notify)(error.message ?? String(error), "error");
    } finally {
      element.disabled = false;
    }
  });
  return element;
}

let toastTimer;

/** A short message at the bottom of the page. */
export function notify(message, kind = "info") {
  const toast = $("#toast");
  toast.textContent = message;
  toast.className = `toast ${kind} shown`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => toast.classList.remove("shown"), kind === "error" ? 8000 : 3000);
}

/** A small state label. */
export function pill(text, kind = "") {
  return h("span", { class: `pill ${kind}` }, text);
}
