// Listening events to /api/feedback/events/: the like and skip buttons of track rows (a dislike is an
// htmx form, templates/feedback/_track_actions.html), and
// what the player (player.js) reports from real playback through window.SegueFeedback.record().
// No inline script (CSP); the CSRF token comes from hx-headers on <body>. Rows rendered without
// listening_history consent carry data-disabled="true" (the player's queue data-listening="false")
// and never send anything; the server refuses such batches anyway (403).
(function () {
  "use strict";

  const FLUSH_DELAY_MS = 2000;
  const MAX_BATCH = 500;
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

  // `where` holds track, and playlist + version + position when played from a playlist.
  function eventFor(where, kind, extra) {
    const event = {
      id: uuid(),
      kind: kind,
      track: Number(where.track),
      occurred_at: new Date().toISOString(),
      device: "web",
      local_hour: new Date().getHours(),
    };
    if (where.playlist && where.version) {
      event.playlist = Number(where.playlist);
      event.version = Number(where.version);
      if (where.position) event.position = Number(where.position);
    }
    return Object.assign(event, extra || {});
  }

  class Retryable extends Error {}

  function send(events, keepalive) {
    if (!endpoint || !events.length) return Promise.resolve(null);
    return fetch(endpoint, {
      method: "POST",
      credentials: "same-origin",
      keepalive: Boolean(keepalive),
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ events: events }),
    }).then(
      (response) => {
        if (response.ok) return response.json();
        // 403 (no consent) and 400 (not a batch) will not get better by retrying.
        throw response.status === 429 || response.status >= 500 ? new Retryable() : new Error(String(response.status));
      },
      () => {
        throw new Retryable();
      }
    );
  }

  function flush(keepalive) {
    clearTimeout(flushTimer);
    flushTimer = null;
    // A keepalive body is capped (64 KiB in all): small batches when the page goes away.
    const batch = queue.splice(0, keepalive ? 50 : MAX_BATCH);
    const sent = send(batch, keepalive).catch((error) => {
      // The ids make a retry safe: a batch that reached the server is not stored twice.
      if (error instanceof Retryable) {
        queue.unshift(...batch);
        if (!flushTimer) flushTimer = setTimeout(flush, FLUSH_DELAY_MS * 5);
      }
    });
    if (keepalive && queue.length) flush(true);
    return sent;
  }

  function enqueue(event) {
    queue.push(event);
    if (!flushTimer) flushTimer = setTimeout(flush, FLUSH_DELAY_MS);
  }

  // For the player: record(where, kind, extra). `where` also carries `listening` (consent as the
  // page saw it) and `endpoint`; without consent nothing is queued.
  window.SegueFeedback = {
    record: function (where, kind, extra) {
      if (!where.listening || !where.endpoint) return;
      endpoint = where.endpoint;
      enqueue(eventFor(where, kind, extra));
    },
    flush: flush,
  };

  function status(row, text) {
    const element = row.querySelector(".feedback-status");
    if (element) element.textContent = text;
  }

  function onButton(event) {
    const button = event.target.closest(".feedback-button");
    // A dislike is an htmx form (the server answers with the row's actions and an Undo).
    if (!button || button.closest(".reaction-form")) return;
    const row = button.closest(".track-actions");
    if (!row || row.dataset.disabled === "true") return;
    endpoint = row.dataset.feedbackEndpoint;
    const kind = button.dataset.kind;
    const player = window.SeguePlayer;
    const markDone = () => {
      status(row, kind === "like" ? "Liked" : kind === "dislike" ? "Won't be suggested again" : "Skipped");
      row.querySelectorAll(".feedback-button[aria-pressed]").forEach((other) => {
        other.setAttribute("aria-pressed", String(other === button));
      });
      if (kind === "dislike" || kind === "skip") row.closest(".track-row").classList.add("is-dismissed");
    };
    // Skipping the track that is playing is the player's "next": it reports the skip itself,
    // with what was heard.
    if (kind === "skip" && player && player.isCurrent(row.dataset)) {
      player.next();
      markDone();
      return;
    }
    const extra = kind === "skip" ? { position_ms: 0, ms_played: 0 } : {};
    // Explicit feedback goes at once (not batched): the listener expects it to count.
    send([eventFor(row.dataset, kind, extra)])
      .then(markDone)
      .catch(() => status(row, "Not saved; try again"));
  }

  document.addEventListener("click", onButton);
  // A row's actions swapped in by htmx (a dislike, its undo): the row dims while disliked.
  document.addEventListener("htmx:load", (event) => {
    const actions = event.target;
    if (!actions.matches || !actions.matches(".track-actions")) return;
    const row = actions.closest(".track-row");
    if (row) row.classList.toggle("is-dismissed", actions.dataset.reaction === "dislike");
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") flush(true);
  });
  window.addEventListener("pagehide", () => flush(true));
})();
