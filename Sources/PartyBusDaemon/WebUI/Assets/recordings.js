// Recordings the auto-record plugin made (GET /v1/recordings): the one in progress first, then the finished ones.
// Exports are cooked with `partybus recordings export ID --format …` (or POST /v1/recordings/{id}/export).

import { h, pill } from "./dom.js";

export function recordingsPanel(root, app) {
  function render() {
    const recordings = [...(app.state.recordings ?? [])].reverse();
    if (!recordings.length) {
      root.replaceChildren(h("p", { class: "muted" },
        "No recordings. Enable the auto-record plugin (docs/plugins.md, AutoRecord) and it records parties while voice runs."));
      return;
    }
    const kind = (state) => ({ recording: "warn", saved: "ok", failed: "bad" })[state] ?? "";
    const seconds = (value) => (value == null ? "—" : `${Math.round(value)} s`);
    const size = (bytes) => (bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${Math.round(bytes / 1024)} KiB`);
    root.replaceChildren(h("div", { class: "scroll" }, h("table", { class: "table", id: "recordings-table" },
      h("thead", {}, h("tr", {}, ["Recording", "State", "Party", "Length", "Size", "Tracks"].map((title) => h("th", {}, title)))),
      h("tbody", {}, recordings.map((recording) => h("tr", { dataset: { recording: recording.id } },
        h("td", { class: "mono" }, recording.id),
        h("td", {}, pill(recording.state === "recording" ? "● recording" : recording.state, kind(recording.state)),
          recording.recovered ? h("div", { class: "muted small" }, "recovered after a crash") : null,
          recording.reason ? h("div", { class: "muted small" }, recording.reason) : null),
        h("td", {}, recording.partyName || recording.sessionId),
        h("td", { class: "num" }, seconds(recording.durationSeconds)),
        h("td", { class: "num" }, size(recording.bytes ?? 0)),
        h("td", {}, (recording.tracks ?? []).map((track) => track.onlineId ?? track.accountId ?? track.kind).join(", "))))))));
  }
  return { render };
}
