// Parties: the ones we are in (with members), create, join by session id or share link, leave, invite, and the
// invitations addressed to us.

import { api, seg } from "./api.js";
import { button, h, notify, pill } from "./dom.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A party's members sorted by join order. */
export function membersOf(party) {
  return Object.values(party?.members ?? {}).sort((a, b) => (a.joinOrder ?? 1e9) - (b.joinOrder ?? 1e9));
}

/** A member's display name. */
export function memberName(member) {
  return member.onlineId || member.accountId;
}

export function partiesPanel(root, app) {
  const name = h("input", { type: "text", id: "create-name", placeholder: "Party name", maxlength: "64" });
  const max = h("input", { type: "number", id: "create-max", min: "1", max: "16", value: "16", title: "most members" });
  const target = h("input", { type: "text", id: "join-target", placeholder: "Session id or share link", spellcheck: "false" });
  const list = h("div", { id: "party-list", class: "stack" });
  const invitations = h("div", { id: "invitation-list", class: "stack" });
  const invitees = new Map(); // sessionId → its invite input, kept across renders

  async function create() {
    const answer = await api("POST", "/v1/parties", { name: name.value.trim(), maxMembers: Number(max.value) || 16 });
    name.value = "";
    notify(`Created party ${answer.sessionId}`);
    app.schedule("status", "voice");
  }

  async function join() {
    let text = target.value.trim();
    if (!text) throw new Error("give a session id or a share link");
    let sessionId = text;
    if (!UUID.test(text)) {
      // A share link https://party.playstation.com/<linkId>, or the bare link id.
      const linkId = text.replace(/[?#].*$/, "").replace(/\/+$/, "").split("/").pop();
      const party = await api("GET", `/v1/links/${seg(linkId)}`);
      sessionId = party.sessionId;
    }
    await api("POST", `/v1/parties/${seg(sessionId)}/join`);
    target.value = "";
    notify(`Joined ${sessionId}`);
    app.schedule("status", "voice", "invitations");
  }

  async function leave(sessionId) {
    const answer = await api("POST", `/v1/parties/${seg(sessionId)}/leave`);
    notify(answer.voiceStopped ? "Left the party (voice stopped first)" : "Left the party");
    app.schedule("status", "voice");
  }

  async function invite(sessionId) {
    const input = invitees.get(sessionId);
    const accountIds = input.value.split(/[\s,]+/).filter(Boolean);
    if (!accountIds.length) throw new Error("give one or more account ids (digits)");
    await api("POST", `/v1/parties/${seg(sessionId)}/invitations`, { accountIds });
    input.value = "";
    notify(`Invited ${accountIds.join(", ")}`);
  }

  async function accept(sessionId) {
    await api("POST", `/v1/invitations/${seg(sessionId)}/accept`);
    notify(`Joined ${sessionId}`);
    app.schedule("status", "voice", "invitations");
  }

  async function startVoice(sessionId) {
    await api("POST", "/v1/voice/start", { sessionId });
    app.schedule("voice");
  }

  function partyCard(party, voice) {
    const members = membersOf(party);
    if (!invitees.has(party.sessionId)) {
      invitees.set(party.sessionId, h("input", { type: "text", placeholder: "Account id(s) to invite", spellcheck: "false", class: "invitee" }));
    }
    const voiceHere = voice?.running && voice.sessionId === party.sessionId;
    return h("article", { class: "party", dataset: { session: party.sessionId } },
      h("header", {},
        h("strong", { class: "party-name" }, party.name || "(unnamed party)"),
        pill(`${members.length}${party.maxMembers ? ` / ${party.maxMembers}` : ""} members`),
        voiceHere ? pill("voice", "ok") : null),
      h("code", { class: "muted small" }, party.sessionId),
      h("ul", { class: "chips" }, members.map((member) => h("li", { title: member.accountId }, memberName(member)))),
      h("div", { class: "row" },
        invitees.get(party.sessionId),
        button("Invite", () => invite(party.sessionId)),
        voiceHere || !app.state.voice ? null : button("Voice here", () => startVoice(party.sessionId)),
        button("Leave", () => leave(party.sessionId), { kind: "danger quiet" })),
    );
  }

  root.replaceChildren(
    list,
    h("h3", {}, "Start or join"),
    h("div", { class: "row" }, name, max, button("Create", create, { kind: "primary" })),
    h("div", { class: "row" }, target, button("Join", join)),
    h("h3", {}, "Invitations"),
    invitations,
  );

  function render() {
    const status = app.state.status;
    if (!status) return;
    const parties = status.parties ?? [];
    // Re-rendering moves the invite inputs, and moving a focused element blurs it: keep the user's place so typing
    // is not lost when an event redraws the list mid-keystroke.
    const focused = [...invitees.values()].find((input) => input === document.activeElement);
    const selection = focused ? [focused.selectionStart, focused.selectionEnd] : null;
    list.replaceChildren(...(parties.length
      ? parties.map((party) => partyCard(party, app.state.voice))
      : [h("p", { class: "muted" }, "Not in a party.")]));
    if (focused?.isConnected) {
      focused.focus();
      focused.setSelectionRange(...selection);
    }
    const open = app.state.invitations ?? [];
    invitations.replaceChildren(...(open.length
      ? open.map((invitation) => h("div", { class: "invitation row", dataset: { session: invitation.sessionId } },
          h("span", { class: "grow" }, h("strong", {}, invitation.sessionName || "(unnamed)"),
            h("span", { class: "muted" }, ` from ${invitation.from?.onlineId ?? invitation.from?.accountId ?? "?"}`)),
          pill(invitation.via ?? "list"),
          button("Accept", () => accept(invitation.sessionId), { kind: "primary" })))
      : [h("p", { class: "muted" }, app.state.invitationsError ? `Invitations: ${app.state.invitationsError}` : "No invitations.")]));
  }

  return { render };
}
