// Follows /v1/events/stream. The stream names each frame after its event type, which EventSource can only be
// subscribed to type by type (there is no wildcard), so the page reads the text/event-stream with fetch — which
// also sends the token as an Authorization header instead of in the URL. After a drop it resumes with
// ?from=<last id + 1>, so nothing is lost or repeated.

import { authHeaders } from "./api.js";

/** One live subscription: `params` are the stream's query (type / stream globs, from). */
export class EventFeed {
  constructor(params, { onEvent, onState = () => {}, onUnauthorized = () => {} }) {
    this.params = params;
    this.onEvent = onEvent;
    this.onState = onState;
    this.onUnauthorized = onUnauthorized;
    this.lastId = null;
    this.controller = null;
    this.stopped = false;
  }

  /** Starts following; `from` is the first seq wanted (default: only new events). */
  start(from) {
    if (from) this.lastId = from - 1;
    this.run();
    return this;
  }

  /** Stops for good. */
  stop() {
    this.stopped = true;
    this.controller?.abort();
  }

  async run() {
    let delay = 500;
    while (!this.stopped) {
      this.controller = new AbortController();
      const query = new URLSearchParams(this.params);
      if (this.lastId !== null) query.set("from", String(this.lastId + 1));
      try {
        const response = await fetch(`/v1/events/stream?${query}`, {
          headers: { Accept: "text/event-stream", ...authHeaders() },
          cache: "no-store",
          credentials: "omit",
          signal: this.controller.signal,
        });
        if (response.status === 401) {
          this.onState("unauthorized");
          this.onUnauthorized();
          return;
        }
        if (!response.ok || !response.body) throw new Error(`${response.status}`);
        this.onState("live");
        delay = 500;
        await this.read(response.body);
      } catch (error) {
        if (this.stopped) return;
      }
      if (this.stopped) return;
      this.onState("reconnecting");
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 5000);
    }
  }

  async read(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        this.frame(block);
      }
    }
  }

  frame(block) {
    let id = null;
    const data = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "id") id = Number(value);
      else if (field === "data") data.push(value);
    }
    if (!data.length) return;
    let event;
    try {
      event = JSON.parse(data.join("\n"));
    } catch {
      return;
    }
    if (id !== null && Number.isFinite(id)) this.lastId = id;
    this.onEvent(event);
  }
}
