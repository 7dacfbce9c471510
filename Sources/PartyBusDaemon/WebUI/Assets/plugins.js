// Plugin status: state, failures, last failure and checkpoint of each configured plugin.

import { h, pill } from "./dom.js";

export function pluginsPanel(root, app) {
  function render() {
    const plugins = app.state.plugins ?? [];
    if (!plugins.length) {
      root.replaceChildren(h("p", { class: "muted" }, "No plugins configured."));
      return;
    }
    const stateKind = (state) => ({ running: "ok", ready: "ok", started: "ok", failed: "bad", disabled: "", never: "" })[state] ?? "warn";
    root.replaceChildren(h("div", { class: "scroll" }, h("table", { class: "table", id: "plugins-table" },
      h("thead", {}, h("tr", {}, ["Plugin", "Kind", "State", "Failures", "Checkpoint", "Source"].map((title) => h("th", {}, title)))),
      h("tbody", {}, plugins.map((plugin) => h("tr", { dataset: { plugin: plugin.name } },
        h("td", {}, h("strong", {}, plugin.name), plugin.enabled ? null : h("span", { class: "muted" }, " (disabled)")),
        h("td", {}, plugin.kind),
        h("td", {}, pill(plugin.state, stateKind(plugin.state))),
        h("td", { class: "num" }, String(plugin.failures),
          plugin.lastFailure ? h("div", { class: "muted small", title: plugin.lastFailure }, plugin.lastFailure) : null),
        h("td", { class: "num" }, String(plugin.checkpoint)),
        h("td", { class: "mono muted ellipsis", title: plugin.source }, plugin.source)))))));
  }
  return { render };
}
