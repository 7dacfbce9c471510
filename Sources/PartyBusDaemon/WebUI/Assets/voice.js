// Voice: running or not, which graph, mute, and the members of the voice party with live speaking indicators
// and per-member volume.

import { api } from "./api.js";
import { button, h, notify, pill } from "./dom.js";
import { memberName, membersOf } from "./parties.js";

export function voicePanel(root, app) {
  let adjusting = false; // a volume slider is being dragged: re-rendering now would drop it
  let deferred = false;
  async function setMuted(muted) {
    app.state.voice = await api("POST", muted ? "/v1/voice/mute" : "/v1/voice/unmute");
    app.refresh("voice");
  }

  async function setVolume(peer, volume) {
    app.state.voice = await api("POST", "/v1/voice/volume", { peer, volume });
    app.refresh("voice");
  }

  async function stop() {
    app.state.voice = await api("POST", "/v1/voice/stop");
    notify("Voice stopped");
    app.refresh("voice");
  }

  function speakIndicator(speaker) {
    const speaking = app.state.speaking.get(speaker) ?? false;
    return h("span", { class: `speak${speaking ? " speaking" : ""}`, dataset: { speaker }, title: speaking ? "speaking" : "quiet" });
  }

  function volumeControl(peer) {
    const value = Math.round((peer.volume ?? 1) * 100);
    const label = h("span", { class: "volume-value" }, `${value}%`);
    const slider = h("input", { type: "range", min: "0", max: "200", step: "5", value: String(value), class: "volume", "aria-label": "volume" });
    slider.addEventListener("pointerdown", () => { adjusting = true; });
    slider.addEventListener("input", () => { label.textContent = `${slider.value}%`; });
    slider.addEventListener("change", async () => {
      adjusting = false;
      try {
        await setVolume(peer.peer, Number(slider.value) / 100);
      } catch (error) {
        notify(error.message, "error");
        if (deferred) render();
      }
    });
    return h("span", { class: "volume-cell" }, slider, label);
  }

  function memberRows(voice, status) {
    const me = status.account?.accountId;
    const party = (status.parties ?? []).find((p) => p.sessionId === voice?.sessionId) ?? (status.parties ?? [])[0];
    // The rtcBridge uplink is a peer but no member: it is the Uplink line above.
    const peers = new Map((voice?.peers ?? []).filter((peer) => peer.peer !== "bridge").map((peer) => [peer.peer, peer]));
    const rows = membersOf(party).map((member) => {
      const isMe = member.accountId === me;
      const peer = peers.get(member.accountId);
      peers.delete(member.accountId);
      return h("tr", { dataset: { peer: member.accountId } },
        h("td", { class: "indicator" }, speakIndicator(isMe ? "me" : member.accountId)),
        h("td", {}, h("strong", {}, memberName(member)), isMe ? h("span", { class: "muted" }, " (you)") : null,
          h("div", { class: "muted small" }, h("span", { class: "mono" }, member.accountId), member.platform ? ` · ${member.platform}` : "")),
        h("td", {}, isMe ? (voice?.running ? (voice.muted ? pill("muted", "warn") : pill("mic on", "ok")) : "—")
          : peer ? pill(peer.state, peer.state === "connected" || peer.state === "completed" ? "ok" : "") : h("span", { class: "muted" }, "no peer")),
        h("td", {}, !isMe && peer ? volumeControl(peer) : h("span", { class: "muted" }, "—")),
      );
    });
    for (const peer of peers.values()) {
      rows.push(h("tr", { dataset: { peer: peer.peer } },
        h("td", { class: "indicator" }, speakIndicator(peer.peer)),
        h("td", {}, h("strong", {}, peer.peer)),
        h("td", {}, pill(peer.state)),
        h("td", {}, volumeControl(peer))));
    }
    return { party, rows };
  }

  function render() {
    const status = app.state.status;
    if (!status) return;
    if (adjusting) {
      deferred = true;
      return;
    }
    deferred = false;
    const voice = app.state.voice;
    const configured = app.state.graphs?.voiceGraph;
    const summary = h("div", { class: "kv-grid" },
      h("span", { class: "k" }, "State"),
      h("span", { id: "voice-state" }, voice ? (voice.running ? pill("running", "ok") : pill("stopped")) : pill("off", "warn"),
        !voice && app.state.voiceError ? h("span", { class: "muted" }, ` ${app.state.voiceError}`) : null),
      h("span", { class: "k" }, "Graph"),
      h("span", { id: "voice-graph" }, voice?.graph ? h("code", {}, voice.graph) : h("span", { class: "muted" }, "none running"),
        configured ? h("span", { class: "muted" }, " · file ", h("code", {}, configured)) : null),
      h("span", { class: "k" }, "Uplink"),
      h("span", {}, voice?.bridge ? pill(voice.bridge.connected ? "bridge connected" : "bridge connecting", voice.bridge.connected ? "ok" : "") : h("span", { class: "muted" }, "none")),
    );
    const controls = h("div", { class: "row" });
    if (voice?.running) {
      controls.append(
        button(voice.muted ? "Unmute mic" : "Mute mic", () => setMuted(!voice.muted), { kind: voice.muted ? "primary" : "", title: "the graph's mute element" }),
        button("Stop voice", stop, { kind: "quiet" }));
      controls.querySelector("button").id = "mute-toggle";
      controls.querySelector("button").dataset.muted = String(Boolean(voice.muted));
    }
    const { party, rows } = memberRows(voice, status);
    const table = party || rows.length
      ? h("div", { class: "scroll" }, h("table", { class: "table members", id: "members" },
          h("thead", {}, h("tr", {}, h("th", {}, ""), h("th", {}, "Member"), h("th", {}, "Voice"), h("th", {}, "Volume"))),
          h("tbody", {}, rows)))
      : h("p", { class: "muted" }, "No party, no members.");
    root.replaceChildren(summary, controls, party ? h("h3", {}, `Members of ${party.name || party.sessionId}`) : "", table);
  }

  return { render };
}
