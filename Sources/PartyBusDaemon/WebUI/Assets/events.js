// The event log: the last events matching type / stream globs, then a live tail of new ones; a row opens its
// event in full.

import { api } from "./api.js";
import { clock, h, notify } from "./dom.js";
import { EventFeed } from "./stream.js";

const MAX_ROWS = 1000;
const FIRST_LOAD = 200;

export function eventsPanel(root, app) {
  const typeInput = h("input", { type: "text", id: "filter-type", placeholder: "type glob, e.g. party.* voice.peer_*", spellcheck: "false" });
  const streamInput = h("input", { type: "text", id: "filter-stream", placeholder: "stream glob, e.g. party/*", spellcheck: "false" });
  const pause = h("input", { type: "checkbox", id: "events-pause" });
  const count = h("span", { class: "muted", id: "events-count" });
  const body = h("tbody", { id: "event-rows" });
  const detail = h("pre", { id: "event-detail", class: "detail" }, "Click an event to see it in full.");
  const detailTitle = h("div", { class: "detail-title muted" }, "");
  const events = new Map(); // seq → event, for the rows shown
  let feed = null;
  let held = []; // events that arrived while paused
  let selected = null;

  const globs = (input) => input.value.split(/[\s,]+/).filter(Boolean);

  function query() {
    const params = [];
    for (const glob of globs(typeInput)) params.push(["type", glob]);
    for (const glob of globs(streamInput)) params.push(["stream", glob]);
    return params;
  }

  function row(event) {
    const tr = h("tr", { dataset: { seq: String(event.seq), type: event.type }, tabindex: "0" },
      h("td", { class: "num" }, String(event.seq)),
      h("td", { class: "mono" }, clock(event.at)),
      h("td", {}, h("span", { class: `type t-${event.type.split(".")[0]}` }, event.type)),
      h("td", { class: "mono muted ellipsis" }, event.stream),
      h("td", { class: "muted" }, event.source ?? ""),
      h("td", { class: "mono muted ellipsis payload-preview" }, preview(event.payload)));
    tr.addEventListener("click", () => select(event.seq));
    tr.addEventListener("keydown", (key) => { if (key.key === "Enter") select(event.seq); });
    return tr;
  }

  function preview(payload) {
    const text = JSON.stringify(payload ?? null);
    return text.length > 120 ? `${text.slice(0, 117)}…` : text;
  }

  function select(seq) {
    const event = events.get(seq);
    if (!event) return;
    selected = seq;
    for (const tr of body.querySelectorAll("tr.selected")) tr.classList.remove("selected");
    body.querySelector(`tr[data-seq="${seq}"]`)?.classList.add("selected");
    detailTitle.textContent = `#${event.seq} ${event.type} · ${new Date(event.at).toLocaleString()} · ${event.stream}`;
    detail.textContent = JSON.stringify(event, null, 2);
  }

  function add(list) {
    const fragment = document.createDocumentFragment();
    for (const event of [...list].reverse()) {
      if (events.has(event.seq)) continue;
      events.set(event.seq, event);
      fragment.append(row(event));
    }
    body.prepend(fragment);
    while (body.rows.length > MAX_ROWS) {
      const last = body.rows[body.rows.length - 1];
      events.delete(Number(last.dataset.seq));
      last.remove();
    }
    count.textContent = `${body.rows.length} shown${held.length ? ` · ${held.length} held while paused` : ""}`;
  }

  async function apply() {
    feed?.stop();
    events.clear();
    held = [];
    body.replaceChildren();
    const params = query();
    const answer = await api("GET", `/v1/events?${new URLSearchParams([...params, ["last", String(FIRST_LOAD)]])}`);
    add(answer.events);
    feed = new EventFeed(params, {
      onEvent(event) {
        if (pause.checked) {
          held.push(event);
          add([]);
        } else add([event]);
      },
    }).start(answer.head + 1);
    if (selected !== null && !events.has(selected)) {
      selected = null;
      detail.textContent = "Click an event to see it in full.";
      detailTitle.textContent = "";
    }
  }

  pause.addEventListener("change", () => {
    if (!pause.checked && held.length) {
      const release = held;
      held = [];
      add(release);
    }
  });
  for (const input of [typeInput, streamInput]) {
    input.addEventListener("keydown", (key) => {
      if (key.key === "Enter") apply().catch((error) => notify(error.message, "error"));
    });
  }
  const applyButton = h("button", { type: "button", id: "filter-apply" }, "Apply");
  applyButton.addEventListener("click", () => apply().catch((error) => notify(error.message, "error")));

  root.replaceChildren(
    h("div", { class: "toolbar" },
      h("label", { class: "field inline" }, h("span", {}, "Type"), typeInput),
      h("label", { class: "field inline" }, h("span", {}, "Stream"), streamInput),
      applyButton,
      h("label", { class: "check" }, pause, " Pause"),
      h("span", { class: "grow" }),
      count),
    h("div", { class: "split" },
      h("div", { class: "scroll events-scroll" },
        h("table", { class: "table events", id: "events-table" },
          h("thead", {}, h("tr", {}, h("th", {}, "seq"), h("th", {}, "time"), h("th", {}, "type"), h("th", {}, "stream"), h("th", {}, "source"), h("th", {}, "payload"))),
          body)),
      h("div", { class: "detail-pane" }, detailTitle, detail)),
  );
  apply().catch((error) => notify(error.message, "error"));

  return { render() {}, restart: () => apply().catch((error) => notify(error.message, "error")) };
}
