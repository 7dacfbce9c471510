// The PartyBus web UI. Everything it shows comes from the control API (/v1/…) and its event stream: events only
// trigger re-reads of the API (and light the speaking indicators), so there is no second source of truth.

import { api, ApiError, setToken, token, whenUnauthorized } from "./api.js";
import { $, h, notify, pill } from "./dom.js";
import { EventFeed } from "./stream.js";
import { accountPanel } from "./account.js";
import { partiesPanel } from "./parties.js";
import { voicePanel } from "./voice.js";
import { eventsPanel } from "./events.js";
import { graphsPanel } from "./graphs.js";
import { pluginsPanel } from "./plugins.js";
import { recordingsPanel } from "./recordings.js";

/** What the page last read from the API. */
const state = {
  status: null,
  voice: null,
  voiceError: null,
  invitations: [],
  invitationsError: null,
  plugins: [],
  recordings: [],
  graphs: null,
  /** peer (account id or "me") → speaking, from GET /v1/voice and voice.speaking events. */
  speaking: new Map(),
};

const readers = {
  async status() {
    state.status = await api("GET", "/v1/status");
  },
  async voice() {
    try {
      state.voice = await api("GET", "/v1/voice");
      state.voiceError = null;
      for (const peer of state.voice.peers ?? []) state.speaking.set(peer.peer, peer.speaking);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 409) throw error;
      state.voice = null;
      state.voiceError = error.message;
    }
  },
  async invitations() {
    try {
      state.invitations = await api("GET", "/v1/invitations");
      state.invitationsError = null;
    } catch (error) {
      state.invitations = state.status?.invitations?.map((i) => ({ ...i, via: "push" })) ?? [];
      state.invitationsError = error.message;
    }
  },
  async plugins() {
    state.plugins = await api("GET", "/v1/plugins");
  },
  async graphs() {
    state.graphs = await api("GET", "/v1/graphs");
  },
  async recordings() {
    state.recordings = (await api("GET", "/v1/recordings")).recordings ?? [];
  },
};

const panels = [];
const app = {
  state,
  /** Re-reads the named parts of the API (all when none are named) and re-renders. */
  async refresh(...names) {
    const wanted = names.length ? names : Object.keys(readers);
    const results = await Promise.allSettled(wanted.map((name) => readers[name]()));
    const failed = results.find((result) => result.status === "rejected");
    if (failed && failed.reason?.status !== 401) notify(failed.reason.message, "error");
    render();
  },
  /** Re-reads soon, once for a burst of events. */
  schedule(...names) {
    for (const name of names) pending.add(name);
    clearTimeout(pendingTimer);
    pendingTimer = setTimeout(() => {
      const now = [...pending];
      pending.clear();
      app.refresh(...now);
    }, 150);
  },
  /** Lights or darkens a speaking indicator without re-rendering. */
  speaking(peer, speaking) {
    state.speaking.set(peer, speaking);
    for (const element of document.querySelectorAll(`[data-speaker="${CSS.escape(peer)}"]`)) {
      element.classList.toggle("speaking", speaking);
      element.title = speaking ? "speaking" : "quiet";
    }
  },
};
const pending = new Set();
let pendingTimer;

function render() {
  renderDaemon();
  for (const panel of panels) panel.render?.();
}

function renderDaemon() {
  const status = state.status;
  if (!status) return;
  const push = status.push?.state ?? "?";
  $("#daemon").replaceChildren(
    pill(status.simulated ? "simulator" : "PlayStation Network", status.simulated ? "info" : ""),
    pill(`push ${push}`, push === "connected" ? "ok" : "warn"),
    h("span", { class: "muted" }, `v${status.version} · pid ${status.pid} · log head `, h("span", { id: "log-head" }, String(status.log?.head ?? 0))),
  );
}

/** Which parts of the API an event may have changed. */
function affected(type) {
  if (type.startsWith("party.invitation")) return ["status", "invitations"];
  if (type.startsWith("party.")) return ["status", "voice"];
  if (type === "voice.graph_changed") return ["voice", "graphs"];
  if (type.startsWith("voice.")) return ["voice"];
  if (type.startsWith("auth.") || type.startsWith("push.")) return ["status"];
  if (type.startsWith("plugin.")) return ["plugins"];
  if (type.startsWith("record.")) return ["recordings", "status"];
  return [];
}

let stateFeed;

function followState() {
  stateFeed?.stop();
  stateFeed = new EventFeed(
    [["type", "party.*"], ["type", "voice.*"], ["type", "auth.*"], ["type", "push.*"], ["type", "plugin.*"], ["type", "record.*"]],
    {
      onEvent(event) {
        const head = $("#log-head");
        if (head && event.seq > Number(head.textContent)) head.textContent = String(event.seq);
        if (event.type === "voice.speaking") {
          app.speaking(event.payload?.peer, Boolean(event.payload?.speaking));
          return;
        }
        const parts = affected(event.type);
        if (parts.length) app.schedule(...parts);
      },
      onState(feedState) {
        const element = $("#feed-state");
        element.textContent = { live: "live", reconnecting: "reconnecting…", unauthorized: "token refused" }[feedState] ?? feedState;
        element.className = `feed-state ${feedState}`;
        if (feedState === "live") app.schedule("status", "voice");
      },
      onUnauthorized: showGate,
    },
  ).start();
}

function showGate(message) {
  $("#app").hidden = true;
  $("#gate").hidden = false;
  $("#token-error").textContent = typeof message === "string" ? message : "";
  $("#feed-state").textContent = "token needed";
  $("#feed-state").className = "feed-state unauthorized";
  $("#token-input").focus();
}

async function boot() {
  try {
    await readers.status();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      showGate(token() ? "That token was refused." : "");
      return;
    }
    $("#feed-state").textContent = "daemon unreachable";
    notify(error.message, "error");
    setTimeout(boot, 3000);
    return;
  }
  $("#gate").hidden = true;
  $("#app").hidden = false;
  if (panels.length) {
    for (const panel of panels) panel.restart?.();
  } else {
    panels.push(
      accountPanel($("#account-panel .body"), app),
      partiesPanel($("#parties-panel .body"), app),
      voicePanel($("#voice-panel .body"), app),
      eventsPanel($("#events-panel .body"), app),
      graphsPanel($("#graphs-panel .body"), app),
      pluginsPanel($("#plugins-panel .body"), app),
      recordingsPanel($("#recordings-panel .body"), app),
    );
  }
  render();
  followState();
  await app.refresh("voice", "invitations", "plugins", "graphs", "recordings");
}

whenUnauthorized(() => showGate("The daemon refused the token."));

$("#token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("#token-input");
  setToken(input.value.trim());
  input.value = "";
  boot();
});

boot();
