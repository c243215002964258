// The web player's feedback: like / dislike / skip buttons and the preview <audio> element post
// listening events to /api/feedback/events/. No inline script (CSP); the CSRF token comes from
// hx-headers on <body>. Rows rendered without listening_history consent carry
// data-disabled="true" and never send anything.
(function () {
  "use strict";

  const PROGRESS_EVERY_MS = 30000;
  const FLUSH_DELAY_MS = 2000;
  const queue = [];
  let flushTimer = null;
  let endpoint = null;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
      (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16)
    );
  }

  function eventFor(row, kind, extra) {
    return Object.assign(
      {
        id: uuid(),
        kind: kind,
        track: Number(row.dataset.track),
        playlist: Number(row.dataset.playlist),
        version: Number(row.dataset.version),
        position: Number(row.dataset.position),
        occurred_at: new Date().toISOString(),
        device: "web",
        local_hour: new Date().getHours(),
      },
      extra || {}
    );
  }

  function send(events, keepalive) {
    if (!endpoint || !events.length) return Promise.resolve(null);
    return fetch(endpoint, {
      method: "POST",
      credentials: "same-origin",
      keepalive: Boolean(keepalive),
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ events: events }),
    }).then((response) => (response.ok ? response.json() : Promise.reject(response)));
  }

  function flush(keepalive) {
    clearTimeout(flushTimer);
    flushTimer = null;
    const batch = queue.splice(0, 500);
    // A failed batch goes back in the queue: the ids make the retry safe.
    return send(batch, keepalive).catch(() => queue.unshift(...batch));
  }

  function enqueue(event) {
    queue.push(event);
    if (!flushTimer) flushTimer = setTimeout(flush, FLUSH_DELAY_MS);
  }

  function status(row, text) {
    const element = row.querySelector(".feedback-status");
    if (element) element.textContent = text;
  }

  function audioOf(row) {
    const item = row.closest(".track-row");
    return item ? item.querySelector("audio") : null;
  }

  function onButton(event) {
    const button = event.target.closest(".feedback-button");
    if (!button) return;
    const row = button.closest(".track-actions");
    if (!row || row.dataset.disabled === "true") return;
    const kind = button.dataset.kind;
    const audio = audioOf(row);
    const extra = {};
    if (kind === "skip") {
      extra.position_ms = audio ? Math.round(audio.currentTime * 1000) : 0;
      if (audio) audio.pause();
    }
    // Explicit feedback goes at once (not batched): the listener expects it to count.
    send([eventFor(row, kind, extra)])
      .then(() => {
        status(row, kind === "like" ? "Liked" : kind === "dislike" ? "Won't be suggested again" : "Skipped");
        row.querySelectorAll(".feedback-button[aria-pressed]").forEach((other) => {
          other.setAttribute("aria-pressed", String(other === button));
        });
        if (kind === "dislike" || kind === "skip") row.closest(".track-row").classList.add("is-dismissed");
      })
      .catch(() => status(row, "Not saved; try again"));
  }

  function watchAudio(row) {
    const audio = audioOf(row);
    if (!audio) return;
    let lastProgress = 0;
    let plays = 0;
    audio.addEventListener("play", () => {
      plays += 1;
      enqueue(eventFor(row, plays > 1 ? "replay" : "play"));
    });
    audio.addEventListener("timeupdate", () => {
      const now = Date.now();
      if (now - lastProgress < PROGRESS_EVERY_MS) return;
      lastProgress = now;
      enqueue(eventFor(row, "progress", { position_ms: Math.round(audio.currentTime * 1000) }));
    });
    audio.addEventListener("ended", () => enqueue(eventFor(row, "complete")));
  }

  function init() {
    const rows = document.querySelectorAll(".track-actions:not([data-disabled='true'])");
    if (!rows.length) return;
    endpoint = rows[0].dataset.feedbackEndpoint;
    rows.forEach(watchAudio);
    document.addEventListener("click", onButton);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") flush(true);
    });
  }

  document.addEventListener("DOMContentLoaded", init);
})();
