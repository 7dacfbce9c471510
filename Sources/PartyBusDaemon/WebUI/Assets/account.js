// Sign-in state and the browser sign-in flow: open the authorize URL, sign in, paste the redirect URL back.

import { api } from "./api.js";
import { button, h, notify, pill, when } from "./dom.js";

export function accountPanel(root, app) {
  let flow = null; // { url, cid } while a browser sign-in is under way
  let wasSignedIn = null;
  const signIn = h("details", { class: "signin" });

  const redirect = h("input", { type: "url", id: "redirect-input", placeholder: "https://…?code=…", autocomplete: "off", spellcheck: "false" });

  async function startFlow() {
    const answer = await api("GET", "/v1/auth/authorize-url");
    if (!/^https?:\/\//i.test(answer?.url ?? "")) throw new Error("the daemon gave no http(s) sign-in URL");
    flow = answer;
    render();
  }

  async function finishFlow() {
    if (!flow) return;
    const answer = await api("POST", "/v1/auth/code", { redirect: redirect.value.trim(), cid: flow.cid });
    flow = null;
    redirect.value = "";
    notify(`Signed in as ${answer.accountId}`);
    await app.refresh("status", "invitations");
  }

  async function signOut() {
    await api("POST", "/v1/auth/logout");
    notify("Signed out: the stored tokens are gone");
    await app.refresh("status");
  }

  function render() {
    const status = app.state.status;
    if (!status) return;
    const account = status.account ?? {};
    const rows = [
      h("div", { class: "kv" },
        h("span", { class: "k" }, "State"),
        h("span", { id: "signin-state" }, account.signedIn ? pill("signed in", "ok") : pill("not signed in", "warn"))),
    ];
    if (account.signedIn) {
      rows.push(
        h("div", { class: "kv" }, h("span", { class: "k" }, "Account"), h("code", { id: "account-id" }, account.accountId ?? "?")),
        h("div", { class: "kv" }, h("span", { class: "k" }, "Signed in until"), h("span", {}, when(account.refreshTokenExpiresAt))),
      );
    } else {
      rows.push(h("p", { class: "muted" }, account.signInRequired ?? "Sign in to use PSN."));
    }
    rows.push(h("div", { class: "kv" }, h("span", { class: "k" }, "Data"), h("code", { class: "ellipsis", title: status.dataDir }, status.dataDir)));
    rows.push(h("div", { class: "kv" }, h("span", { class: "k" }, "Push"), h("span", {}, status.push?.state ?? "?",
      status.push?.lastError ? h("span", { class: "muted" }, ` — ${status.push.lastError}`) : null)));

    if (wasSignedIn !== Boolean(account.signedIn)) signIn.open = !account.signedIn;
    wasSignedIn = Boolean(account.signedIn);
    signIn.replaceChildren(
      h("summary", {}, account.signedIn ? "Sign in again (browser)" : "Sign in with the browser"),
      flow
        ? h("ol", { class: "steps" },
            h("li", {}, h("a", { href: flow.url, target: "_blank", rel: "noopener noreferrer", id: "authorize-link" }, "Open the sign-in page"),
              " and sign in."),
            h("li", {}, "Copy the address the browser ends on (it carries ", h("code", {}, "code="), ") and paste it here:",
              h("div", { class: "row" }, redirect, button("Sign in", finishFlow, { kind: "primary" }))))
        : h("div", { class: "row" }, button("Get the sign-in link", startFlow)),
    );
    const actions = account.signedIn ? h("div", { class: "row" }, button("Sign out", signOut, { kind: "danger quiet" })) : null;
    root.replaceChildren(...rows, signIn, actions ?? "");
  }

  return { render };
}
