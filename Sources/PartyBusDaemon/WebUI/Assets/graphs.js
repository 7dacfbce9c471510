// The audio graph editor: the graph files of the voice graph's folder, a text editor whose problems (checked by
// the daemon with the same validator as `partybus pipelines check`) are marked in place at their line and
// column, and a save that the daemon accepts only for a graph that checks out.

import { api, ApiError, seg } from "./api.js";
import { button, h, notify, pill } from "./dom.js";

export function graphsPanel(root, app) {
  const files = h("nav", { class: "graph-files", id: "graph-files" });
  const title = h("strong", { id: "graph-name" }, "—");
  const dirty = h("span", { class: "muted", id: "graph-dirty" });
  const verdict = h("span", { id: "graph-verdict" });
  const gutter = h("div", { class: "gutter", id: "graph-gutter", "aria-hidden": "true" });
  const backdrop = h("div", { class: "backdrop", id: "graph-backdrop", "aria-hidden": "true" });
  const text = h("textarea", { id: "graph-text", class: "code-input", spellcheck: "false", wrap: "off", autocomplete: "off", "aria-label": "graph YAML" });
  const problemsList = h("ul", { class: "problems", id: "graph-problems" });
  let current = null; // { name, saved } of the open file
  let problems = [];
  let checkTimer;
  let checkGeneration = 0;

  async function open(name) {
    const graph = await api("GET", `/v1/graphs/${seg(name)}`);
    current = { name: graph.name, saved: graph.text };
    text.value = graph.text;
    title.textContent = graph.name;
    show(graph.problems);
    renderFiles();
  }

  /** Asks the daemon to check the editor's text; the latest answer wins. */
  async function check() {
    const generation = ++checkGeneration;
    const answer = await api("POST", "/v1/graphs/check", { text: text.value });
    if (generation === checkGeneration) show(answer.problems);
  }

  async function save() {
    if (!current) return;
    try {
      await api("PUT", `/v1/graphs/${seg(current.name)}`, { text: text.value });
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) {
        show(error.body?.problems ?? []);
        throw new Error("Not saved: the graph has problems (marked in the editor)");
      }
      throw error;
    }
    current.saved = text.value;
    show([]);
    notify(`Saved ${current.name}; voice reloads it if it uses it`);
    app.refresh("graphs");
  }

  function revert() {
    if (!current) return;
    text.value = current.saved;
    check().catch((error) => notify(error.message, "error"));
  }

  /** Marks `list` in the gutter, behind the text (line and column) and in the problem list. */
  function show(list) {
    problems = list ?? [];
    const byLine = new Map();
    for (const problem of problems) {
      if (!problem.line) continue;
      if (!byLine.has(problem.line)) byLine.set(problem.line, []);
      byLine.get(problem.line).push(problem);
    }
    const lines = text.value.split("\n");
    gutter.replaceChildren(...lines.map((_, index) => {
      const number = index + 1;
      const here = byLine.get(number);
      return h("div", {
        class: `ln${here ? " bad" : ""}`, dataset: { line: String(number) },
        title: here ? here.map((p) => `${number}:${p.column ?? "?"} ${p.message}`).join("\n") : null,
      }, String(number));
    }));
    backdrop.replaceChildren(...lines.map((line, index) => {
      const here = byLine.get(index + 1);
      if (!here) return h("div", { class: "bl" }, line || " ");
      const column = Math.max(1, Math.min(here[0].column ?? 1, line.length + 1));
      return h("div", { class: "bl bad", dataset: { line: String(index + 1) } },
        line.slice(0, column - 1),
        h("span", { class: "col-mark", dataset: { line: String(index + 1), column: String(column) } }, line.slice(column - 1, column) || " "),
        line.slice(column));
    }));
    problemsList.replaceChildren(...problems.map((problem) => {
      const place = problem.line ? `${problem.line}:${problem.column ?? 1}` : "—";
      const item = h("li", { dataset: { line: String(problem.line ?? ""), column: String(problem.column ?? "") }, tabindex: "0" },
        h("code", { class: "place" }, place), " ", problem.message);
      item.addEventListener("click", () => jump(problem));
      return item;
    }));
    verdict.replaceChildren(problems.length
      ? pill(`${problems.length} problem${problems.length === 1 ? "" : "s"}`, "bad")
      : pill("checks out", "ok"));
    dirty.textContent = current && text.value !== current.saved ? "unsaved changes" : "";
    sync();
  }

  /** Puts the caret at a problem's place. */
  function jump(problem) {
    if (!problem.line) return;
    const lines = text.value.split("\n");
    let offset = 0;
    for (let i = 0; i < problem.line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
    offset += Math.max(0, (problem.column ?? 1) - 1);
    text.focus();
    text.setSelectionRange(offset, offset + 1);
  }

  function sync() {
    gutter.scrollTop = text.scrollTop;
    backdrop.scrollTop = text.scrollTop;
    backdrop.scrollLeft = text.scrollLeft;
  }

  text.addEventListener("scroll", sync);
  text.addEventListener("input", () => {
    show(problems); // the old marks stay until the daemon's answer, laid out again for the new lines
    clearTimeout(checkTimer);
    checkTimer = setTimeout(() => check().catch((error) => notify(error.message, "error")), 400);
  });
  text.addEventListener("keydown", (key) => {
    if (key.key === "Tab") { // two spaces, as YAML wants
      key.preventDefault();
      text.setRangeText("  ", text.selectionStart, text.selectionEnd, "end");
      text.dispatchEvent(new Event("input"));
    }
  });

  function renderFiles() {
    const listing = app.state.graphs;
    if (!listing) return;
    files.replaceChildren(
      h("div", { class: "muted small folder", title: listing.folder }, listing.folder),
      ...listing.graphs.map((graph) => {
        const item = h("button", { type: "button", class: `file${current?.name === graph.name ? " active" : ""}`, dataset: { name: graph.name } },
          h("span", { class: "file-name" }, graph.name),
          graph.name === listing.voiceGraph ? pill("voice", "info") : null,
          graph.ok ? pill("ok", "ok") : pill(`${graph.problems}`, "bad"));
        item.addEventListener("click", () => open(graph.name).catch((error) => notify(error.message, "error")));
        return item;
      }));
    if (!current && listing.graphs.length) {
      const first = listing.graphs.find((graph) => graph.name === listing.voiceGraph) ?? listing.graphs[0];
      open(first.name).catch((error) => notify(error.message, "error"));
    }
  }

  root.replaceChildren(
    h("div", { class: "graph-layout" },
      files,
      h("div", { class: "graph-main" },
        h("div", { class: "toolbar" }, title, verdict, dirty, h("span", { class: "grow" }),
          button("Check", check, { id: "graph-check" }), button("Revert", revert, { kind: "quiet" }),
          button("Save", save, { kind: "primary", id: "graph-save" })),
        h("div", { class: "editor" }, gutter, h("div", { class: "code" }, backdrop, text)),
        h("h3", {}, "Problems"),
        problemsList)),
  );

  return { render: renderFiles };
}
