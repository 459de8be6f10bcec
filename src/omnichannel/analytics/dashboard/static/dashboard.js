// The dashboard's only script: refresh live tables (conversation list, handoff queue) by
// fetching their rows from the server every few seconds. The server escapes every value.
"use strict";

function poll(body) {
  const every = Math.max(500, 1000 * Number(body.dataset.pollSeconds || 5));
  let busy = false;
  async function tick() {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const resp = await fetch(body.dataset.pollSrc, {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
        cache: "no-store",
      });
      if (resp.status === 401) {
        window.location.reload(); // the session ended: the page asks to sign in
        return;
      }
      if (resp.ok) {
        const html = await resp.text();
        if (html !== body.dataset.last) {
          body.innerHTML = html;
          body.dataset.last = html;
        }
        body.dataset.polledAt = String(Date.now());
      }
    } catch (err) {
      // The daemon restarting: try again on the next tick.
    } finally {
      busy = false;
    }
  }
  window.setInterval(tick, every);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-poll-src]").forEach(poll);
});
