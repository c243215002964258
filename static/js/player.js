// The persistent player bar (#player in base.html). A file, not inline: the CSP allows no inline
// script. <body hx-boost> swaps pages under it while hx-preserve keeps #player, its <audio> and
// this script's state, so music plays on as the listener moves around.
//
// A queue comes from any element with [data-player-queue] whose rows carry data-track-id,
// data-stream-url ("" = not playable), data-title, data-artists, data-album, data-duration-ms,
// data-cover-url, data-playlist-id, data-version and data-position; the queue element carries
// data-feedback-endpoint and data-listening ("true" with listening_history consent).
//
// Listening events (through window.SegueFeedback, feedback-player.js): "play" when audio
// starts, "progress" every 30 s actually heard, "complete" at the end (or leaving in the last
// 10 %), "skip" when the listener moves on before that (next, previous, another track, leaving
// the page), each with position_ms and ms_played (audio heard; pauses and seeks excluded).
(function () {
  "use strict";

  const PROGRESS_EVERY_MS = 30000;
  const COMPLETE_RATIO = 0.9;
  const SEEK_STEP_S = 10;
  // A jump of currentTime larger than this between two timeupdates is a seek, not listening.
  const MAX_TICK_S = 1.5;
  const VOLUME_KEY = "segue.player.volume";

  const state = {
    items: [], // the queue, in list order
    order: [], // indices into items, the play order (shuffled or not)
    cursor: -1, // index into order
    shuffle: false,
    session: null, // what is being heard of the current item
  };

  let root = null;
  let audio = null;
  let seeking = false;

  function $(selector) {
    return root.querySelector(selector);
  }

  function formatTime(seconds) {
    if (!isFinite(seconds) || seconds < 0) seconds = 0;
    const whole = Math.floor(seconds);
    const hours = Math.floor(whole / 3600);
    const minutes = Math.floor((whole % 3600) / 60);
    const rest = String(whole % 60).padStart(2, "0");
    return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
  }

  function itemFromRow(row, queueElement) {
    const data = row.dataset;
    return {
      track: Number(data.trackId),
      streamUrl: data.streamUrl || "",
      title: data.title || "",
      artists: data.artists || "",
      album: data.album || "",
      durationMs: Number(data.durationMs) || 0,
      coverUrl: data.coverUrl || "",
      playlist: data.playlistId ? Number(data.playlistId) : null,
      version: data.version ? Number(data.version) : null,
      position: data.position ? Number(data.position) : null,
      listening: queueElement.dataset.listening === "true",
      endpoint: queueElement.dataset.feedbackEndpoint || "",
      pageUrl: window.location.pathname + window.location.search,
    };
  }

  function sameItem(item, data) {
    // `data` is a row's dataset: a player row (data-track-id) or a feedback row (data-track).
    const track = Number(data.trackId || data.track);
    const playlist = data.playlistId || data.playlist;
    if (!item || item.track !== track) return false;
    if (item.playlist && playlist && item.playlist !== Number(playlist)) return false;
    if (item.version && data.version && item.version !== Number(data.version)) return false;
    if (item.position && data.position && item.position !== Number(data.position)) return false;
    return true;
  }

  function current() {
    return state.cursor >= 0 ? state.items[state.order[state.cursor]] : null;
  }

  // --- listening events -------------------------------------------------------------------

  function record(kind, extra) {
    const session = state.session;
    if (!session || !window.SegueFeedback) return;
    window.SegueFeedback.record(session.item, kind, extra);
  }

  function heardExtra() {
    const session = state.session;
    return {
      position_ms: Math.round((audio.currentTime || 0) * 1000),
      ms_played: Math.round(session.heardMs),
    };
  }

  function durationSeconds() {
    if (isFinite(audio.duration) && audio.duration > 0) return audio.duration;
    const item = current();
    return item && item.durationMs ? item.durationMs / 1000 : 0;
  }

  // The current track is left: a completion when (nearly) heard to the end, else a skip.
  function leave() {
    const session = state.session;
    if (!session || !session.started || session.finished) {
      state.session = null;
      return;
    }
    session.finished = true;
    const duration = durationSeconds();
    const nearEnd = duration > 0 && audio.currentTime >= duration * COMPLETE_RATIO;
    record(nearEnd ? "complete" : "skip", heardExtra());
    state.session = null;
  }

  function onTimeUpdate() {
    const session = state.session;
    if (session && !audio.paused && !audio.seeking) {
      const delta = audio.currentTime - session.lastTime;
      if (delta > 0 && delta <= MAX_TICK_S) {
        session.heardMs += delta * 1000;
        while (session.heardMs >= session.nextProgressMs) {
          record("progress", heardExtra());
          session.nextProgressMs += PROGRESS_EVERY_MS;
        }
      }
    }
    if (session) session.lastTime = audio.currentTime;
    showTime();
  }

  function onPlaying() {
    const session = state.session;
    if (session && !session.started) {
      session.started = true;
      session.lastTime = audio.currentTime;
      record("play", { position_ms: Math.round(audio.currentTime * 1000) });
    }
    showPlaying(true);
  }

  function onEnded() {
    const session = state.session;
    if (session && session.started && !session.finished) {
      onTimeUpdate();
      session.finished = true;
      record("complete", heardExtra());
    }
    advance(1, { automatic: true });
  }

  function onError() {
    const item = current();
    if (!item) return;
    // The file went away (404) or cannot be decoded: mark it and move on.
    item.streamUrl = "";
    markUnplayable(item);
    state.session = null;
    status(`“${item.title}” cannot be played; going on.`);
    advance(1, { automatic: true });
  }

  // --- queue and transport ----------------------------------------------------------------

  function playableIndex(orderIndex) {
    const item = state.items[state.order[orderIndex]];
    return item && item.streamUrl;
  }

  function buildOrder(startItemIndex) {
    const indices = state.items.map((_, index) => index);
    if (!state.shuffle) return indices;
    // Fisher–Yates with Math.random: listening order, not an experiment; the chosen track first.
    const rest = indices.filter((index) => index !== startItemIndex);
    for (let i = rest.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [rest[i], rest[j]] = [rest[j], rest[i]];
    }
    return startItemIndex === null ? rest : [startItemIndex, ...rest];
  }

  function load(orderIndex) {
    leave();
    state.cursor = orderIndex;
    const item = current();
    state.session = {
      item: item,
      started: false,
      finished: false,
      heardMs: 0,
      lastTime: 0,
      nextProgressMs: PROGRESS_EVERY_MS,
    };
    audio.src = item.streamUrl;
    showItem(item);
    const started = audio.play();
    if (started && started.catch) started.catch(() => showPlaying(false));
  }

  // Moves `step` (1 or -1) along the order to the next playable track; stops at either end.
  function advance(step, options) {
    if (!state.items.length) return;
    let index = state.cursor + step;
    while (index >= 0 && index < state.order.length && !playableIndex(index)) index += step;
    if (index < 0 || index >= state.order.length) {
      if (options && options.automatic) {
        leave();
        showPlaying(false);
        status("End of the playlist.");
      } else if (step < 0) {
        audio.currentTime = 0;
      } else {
        status("This is the last playable track.");
      }
      return;
    }
    load(index);
  }

  function playQueue(queueElement, startRow, shuffle) {
    const rows = Array.from(queueElement.querySelectorAll("[data-track-id]"));
    state.items = rows.map((row) => itemFromRow(row, queueElement));
    const startIndex = startRow ? rows.indexOf(startRow) : null;
    state.shuffle = Boolean(shuffle);
    state.order = buildOrder(startIndex);
    root.hidden = false;
    document.body.classList.add("has-player");
    $("[data-player-action='shuffle']").setAttribute("aria-pressed", String(state.shuffle));
    let first = startIndex !== null && !state.shuffle ? startIndex : 0;
    while (first < state.order.length && !playableIndex(first)) first += 1;
    if (first >= state.order.length) {
      status("Nothing in this list can be played.");
      return;
    }
    state.cursor = -1;
    load(first);
  }

  function toggle() {
    if (!current()) return;
    if (audio.paused) {
      const started = audio.play();
      if (started && started.catch) started.catch(() => showPlaying(false));
    } else {
      audio.pause(); // pausing is not skipping: no event
    }
  }

  function toggleShuffle() {
    state.shuffle = !state.shuffle;
    $("[data-player-action='shuffle']").setAttribute("aria-pressed", String(state.shuffle));
    if (!state.items.length) return;
    const playing = state.cursor >= 0 ? state.order[state.cursor] : null;
    state.order = buildOrder(playing);
    if (!state.shuffle && playing !== null) state.cursor = playing;
    else state.cursor = playing === null ? -1 : 0;
  }

  function seekBy(seconds) {
    if (!current()) return;
    const duration = durationSeconds();
    let target = (audio.currentTime || 0) + seconds;
    target = Math.max(0, duration ? Math.min(target, duration - 0.25) : target);
    audio.currentTime = target;
  }

  // --- display ---------------------------------------------------------------------------

  function status(text) {
    $(".player-status").textContent = text || "";
  }

  function showItem(item) {
    const title = $(".player-title");
    title.textContent = item.title || "Untitled";
    title.setAttribute("href", item.pageUrl || "#");
    $(".player-artists").textContent = item.artists;
    const cover = $(".player-cover");
    if (item.coverUrl) {
      cover.src = item.coverUrl;
      cover.hidden = false;
    } else {
      cover.removeAttribute("src");
      cover.hidden = true;
    }
    status("");
    showTime();
    highlight();
    mediaSession(item);
  }

  function showPlaying(playing) {
    const button = $(".player-toggle");
    // Both icons are in the button (SVG: no font needed); .is-playing on the bar shows the pause one.
    button.setAttribute("aria-label", playing ? "Pause" : "Play");
    root.classList.toggle("is-playing", playing);
    if ("mediaSession" in navigator) navigator.mediaSession.playbackState = playing ? "playing" : "paused";
  }

  function showTime() {
    const duration = durationSeconds();
    const elapsed = audio.currentTime || 0;
    const bar = $(".player-seekbar");
    bar.max = String(duration || 0);
    if (!seeking) bar.value = String(elapsed);
    $(".player-elapsed").textContent = formatTime(seeking ? Number(bar.value) : elapsed);
    $(".player-total").textContent = formatTime(duration);
    bar.setAttribute("aria-valuetext", `${formatTime(Number(bar.value))} of ${formatTime(duration)}`);
    if ("mediaSession" in navigator && navigator.mediaSession.setPositionState && duration) {
      try {
        navigator.mediaSession.setPositionState({
          duration: duration,
          position: Math.min(elapsed, duration),
          playbackRate: audio.playbackRate || 1,
        });
      } catch (error) {
        // Some browsers refuse a state while metadata loads; the next update sets it.
      }
    }
  }

  function markUnplayable(item) {
    document.querySelectorAll("[data-player-queue] [data-track-id]").forEach((row) => {
      if (!sameItem(item, row.dataset)) return;
      row.dataset.streamUrl = "";
      row.classList.add("is-unplayable");
      const button = row.querySelector("[data-player-play]");
      if (button) button.disabled = true;
    });
  }

  // The now-playing row of whatever page is shown (called again after each boosted swap).
  function highlight() {
    const item = current();
    document.querySelectorAll("[data-player-queue] [data-track-id]").forEach((row) => {
      const playing = Boolean(item) && sameItem(item, row.dataset);
      row.classList.toggle("is-now-playing", playing);
      if (playing) row.setAttribute("aria-current", "true");
      else row.removeAttribute("aria-current");
    });
  }

  function mediaSession(item) {
    if (!("mediaSession" in navigator) || typeof window.MediaMetadata !== "function") return;
    const artwork = item.coverUrl
      ? [{ src: new URL(item.coverUrl, window.location.href).href, sizes: "256x256", type: "image/jpeg" }]
      : [];
    navigator.mediaSession.metadata = new MediaMetadata({
      title: item.title,
      artist: item.artists,
      album: item.album,
      artwork: artwork,
    });
  }

  function mediaSessionHandlers() {
    if (!("mediaSession" in navigator)) return;
    const handlers = {
      play: () => audio.play().catch(() => showPlaying(false)),
      pause: () => audio.pause(),
      previoustrack: () => advance(-1),
      nexttrack: () => advance(1),
      seekbackward: (details) => seekBy(-(details.seekOffset || SEEK_STEP_S)),
      seekforward: (details) => seekBy(details.seekOffset || SEEK_STEP_S),
      seekto: (details) => {
        if (typeof details.seekTime === "number") audio.currentTime = details.seekTime;
      },
    };
    Object.keys(handlers).forEach((action) => {
      try {
        navigator.mediaSession.setActionHandler(action, handlers[action]);
      } catch (error) {
        // An action this browser does not know.
      }
    });
  }

  // --- input -------------------------------------------------------------------------------

  function onClick(event) {
    const target = event.target;
    if (!(target instanceof Element)) return;
    const action = target.closest("[data-player-action]");
    if (action && root.contains(action)) {
      const name = action.dataset.playerAction;
      if (name === "toggle") toggle();
      else if (name === "next") advance(1);
      else if (name === "previous") advance(-1);
      else if (name === "shuffle") toggleShuffle();
      return;
    }
    const playRow = target.closest("[data-player-play]");
    if (playRow) {
      const row = playRow.closest("[data-track-id]");
      const queueElement = row && row.closest("[data-player-queue]");
      if (!queueElement) return;
      if (sameItem(current(), row.dataset) && state.session) toggle();
      else playQueue(queueElement, row, false);
      return;
    }
    const playAll = target.closest("[data-player-play-all]");
    if (playAll) {
      const scope = playAll.closest("[data-player-scope]") || document;
      const queueElement = scope.querySelector("[data-player-queue]");
      if (queueElement) playQueue(queueElement, null, playAll.dataset.shuffle === "true");
    }
  }

  function typingIn(element) {
    if (!(element instanceof Element)) return false;
    return Boolean(element.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']"));
  }

  function onKey(event) {
    if (!current() || event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (typingIn(event.target)) return;
    if (event.key === " " || event.code === "Space") {
      // Space on a focused button or link presses it; only elsewhere is it play/pause.
      if (event.target instanceof Element && event.target.closest("button, a, summary")) return;
      event.preventDefault();
      toggle();
    } else if (event.key === "ArrowRight") {
      event.preventDefault();
      if (event.shiftKey) advance(1);
      else seekBy(SEEK_STEP_S);
    } else if (event.key === "ArrowLeft") {
      event.preventDefault();
      if (event.shiftKey) advance(-1);
      else seekBy(-SEEK_STEP_S);
    }
  }

  function bindControls() {
    const bar = $(".player-seekbar");
    bar.addEventListener("input", () => {
      seeking = true;
      showTime();
    });
    bar.addEventListener("change", () => {
      seeking = false;
      if (current()) audio.currentTime = Number(bar.value);
    });
    const volume = $(".player-volumebar");
    const saved = Number(window.localStorage && localStorage.getItem(VOLUME_KEY));
    if (saved >= 0 && saved <= 1 && localStorage.getItem(VOLUME_KEY) !== null) volume.value = String(saved);
    audio.volume = Number(volume.value);
    volume.addEventListener("input", () => {
      audio.volume = Number(volume.value);
      try {
        localStorage.setItem(VOLUME_KEY, volume.value);
      } catch (error) {
        // Private mode: the volume is just not remembered.
      }
    });
    audio.addEventListener("timeupdate", onTimeUpdate);
    audio.addEventListener("durationchange", showTime);
    audio.addEventListener("seeked", () => {
      if (state.session) state.session.lastTime = audio.currentTime;
      showTime();
    });
    audio.addEventListener("playing", onPlaying);
    audio.addEventListener("pause", () => showPlaying(false));
    audio.addEventListener("ended", onEnded);
    audio.addEventListener("error", onError);
  }

  // --- boosted navigation ------------------------------------------------------------------

  // htmx swaps only <body>: bring the new page's stylesheets and scripts into <head>.
  function syncHead(html) {
    const incoming = new DOMParser().parseFromString(html, "text/html").head;
    const wanted = Array.from(incoming.querySelectorAll("link[rel='stylesheet']")).map((link) =>
      link.getAttribute("href")
    );
    const present = new Set();
    document.head.querySelectorAll("link[rel='stylesheet']").forEach((link) => {
      const href = link.getAttribute("href");
      if (wanted.includes(href)) present.add(href);
      else link.remove();
    });
    wanted.forEach((href) => {
      if (present.has(href)) return;
      const link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = href;
      document.head.appendChild(link);
    });
    const loaded = new Set(
      Array.from(document.querySelectorAll("script[src]")).map((script) => script.getAttribute("src"))
    );
    incoming.querySelectorAll("script[src]").forEach((script) => {
      const src = script.getAttribute("src");
      if (loaded.has(src)) return;
      const element = document.createElement("script");
      element.src = src;
      element.defer = true;
      document.head.appendChild(element);
    });
  }

  // A boosted link asks for a whole page: without HX-Request a view that answers htmx with a
  // fragment (the catalog's results, the desk's lists) renders the page, as for a plain click.
  function onConfigRequest(event) {
    if (event.detail.boosted) delete event.detail.headers["HX-Request"];
  }

  function onBeforeSwap(event) {
    const detail = event.detail;
    if (!detail.boosted) return;
    const xhr = detail.xhr;
    const type = xhr.getResponseHeader("Content-Type") || "";
    const isPage = type.startsWith("text/html") && /<section[^>]*id="player"/.test(xhr.responseText);
    const swappable = xhr.status < 400 || xhr.status === 400 || xhr.status === 413;
    if (!isPage || !swappable) {
      // Not one of our pages (admin, API docs, a file, an error page): load it for real.
      detail.shouldSwap = false;
      window.location.assign(xhr.responseURL || detail.requestConfig.path);
      return;
    }
    syncHead(xhr.responseText);
  }

  // Forms are not boosted (a POST may answer with a file or a page needing its own scripts);
  // downloads (a download attribute, or a …/download/ URL) are left to the browser, so a file is
  // not fetched twice (once by htmx, once for real by onBeforeSwap).
  function keepNative(event) {
    const target = event.target;
    if (!(target instanceof Element)) return;
    if (event.type === "submit") {
      const verbs = ["get", "post", "put", "patch", "delete"];
      const explicit = verbs.map((verb) => `[hx-${verb}], [data-hx-${verb}]`).join(", ");
      // Only forms that htmx would merely boost; one with its own hx-post (or inside one) is left be.
      if (target.closest("[hx-boost]") && !target.closest(explicit)) event.stopPropagation();
    } else if (target.closest("a[download], a[href*='/download/'], a[href$='/download']")) {
      event.stopPropagation();
    }
  }

  function onPageHide() {
    leave(); // closing the page (or a full navigation) while a track plays moves on from it
    if (window.SegueFeedback) window.SegueFeedback.flush(true);
  }

  function init() {
    root = document.getElementById("player");
    if (!root) return;
    audio = root.querySelector("audio");
    bindControls();
    mediaSessionHandlers();
    document.addEventListener("click", onClick);
    document.addEventListener("keydown", onKey);
    document.addEventListener("htmx:configRequest", onConfigRequest);
    document.addEventListener("htmx:beforeSwap", onBeforeSwap);
    document.addEventListener("htmx:afterSettle", highlight);
    document.addEventListener("submit", keepNative, true);
    document.addEventListener("click", keepNative, true);
    window.addEventListener("pagehide", onPageHide);
    window.SeguePlayer = {
      isCurrent: (data) => Boolean(state.session) && sameItem(current(), data),
      next: () => advance(1),
      previous: () => advance(-1),
      toggle: toggle,
      state: state,
    };
  }

  document.addEventListener("DOMContentLoaded", init);
})();
