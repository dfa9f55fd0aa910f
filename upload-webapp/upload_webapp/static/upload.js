// Upload page: any number of files at once, by picker or drop, each sent with tus
// (resumable, tus-js-client) in chunks. A queue: at most MAX_TRANSFERS files travel at
// once and the rest wait their turn; when the server says the user holds as many
// unfinished uploads as allowed (429 too_many_uploads) the file goes back to the head of
// the queue and is tried again as soon as another upload ends. Each row shows progress,
// speed, and a time left only once the rate is known and steady; it ends in a link to the
// video, or in an error in words with a Retry button (files the server refuses, not a
// video or too large, get no Retry and are never offered for resuming). A lost connection
// is retried with back-off and resumed when the browser is back online; after a reload
// the unfinished uploads are offered and go on from the server's offset once the same
// file is chosen again. Those unfinished uploads are the signed-in user's alone: kept in
// localStorage under keys of theirs, forgotten at logout, and those of anyone else
// forgotten when the page loads (a shared browser shows no one another's files).
(function () {
  "use strict";
  const [form, fileInput, nameInput, visibilityInput, drop, message, queue, unfinishedBox, unfinished, list] = [
    "upload-form", "file", "name", "visibility", "dropzone", "message", "queue", "unfinished-box", "unfinished", "uploads",
  ].map((id) => document.getElementById(id));
  const user = form.dataset.user;
  const maxBytes = Number(form.dataset.maxBytes);
  const chunkSize = Number(form.dataset.chunkBytes);
  const RETRIES = [0, 1000, 3000, 5000, 10000, 20000, 30000, 60000];
  const MAX_TRANSFERS = 3;  // files sent at once: more only share the same link
  const HELD_RETRY_MS = 60000;  // the server's Retry-After for too_many_uploads
  const entries = [];  // every row of this page, in the order chosen
  const active = new Set();  // entries whose upload is running or waiting to go on

  // tus-js-client keeps an upload to resume under "tus::<fingerprint>::<n>"; ours begin
  // with the user (encoded, so that no user's prefix is the start of another's).
  const TUS_KEYS = "tus::";
  const mine = "u=" + encodeURIComponent(user) + ";";
  const tusStorage = window.tus.defaultOptions.urlStorage;
  function fingerprint(file, options) {
    return window.tus.defaultOptions.fingerprint(file, options).then((fp) => mine + fp);
  }
  const storage = {
    findAllUploads: () => tusStorage.findAllUploads().then((all) =>
      all.filter((u) => (u.urlStorageKey || "").startsWith(TUS_KEYS + mine))),
    findUploadsByFingerprint: (fp) => tusStorage.findUploadsByFingerprint(fp),
    removeUpload: (key) => tusStorage.removeUpload(key),
    addUpload: (fp, upload) => tusStorage.addUpload(fp, upload),
  };
  // Forget the uploads kept in this browser, all of them or those of other users.
  function forget(everyone) {
    let store;
    try { store = window.localStorage; } catch (_e) { return; }  // storage refused: nothing kept
    const keys = [];
    for (let i = 0; i < store.length; i++) keys.push(store.key(i));
    for (const key of keys) {
      if (key && key.startsWith(TUS_KEYS) && (everyone || !key.startsWith(TUS_KEYS + mine))) store.removeItem(key);
    }
  }
  forget(false);
  const logout = document.getElementById("logout-form");
  if (logout) {
    logout.addEventListener("submit", () => {
      for (const entry of active) entry.upload.abort();  // nothing re-added on the way out
      forget(true);
    });
  }

  function human(bytes) {
    const units = ["B", "KB", "MB", "GB", "TB"];
    let i = 0;
    while (bytes >= 1024 && i < units.length - 1) { bytes /= 1024; i++; }
    return bytes.toFixed(i ? 1 : 0) + " " + units[i];
  }
  function duration(s) {
    s = Math.round(s);
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    if (h) return h + " h " + m + " min";
    return m ? m + " min " + (s % 60) + " s" : s + " s";
  }
  function say(text, kind) { message.textContent = text; message.className = kind || ""; }
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function button(cls, text) {
    const b = el("button", "secondary " + cls, text);
    b.type = "button";
    return b;
  }

  // What went wrong, in words: the server's message when it sent one.
  function errorText(err) {
    const res = err && err.originalResponse;
    if (res) {
      try { const body = JSON.parse(res.getBody()); if (body && body.message) return body.message; } catch (_e) { /* not JSON */ }
      const status = res.getStatus();
      if (status === 401) return "Your session has ended; reload the page to log in again.";
      if (status === 413) return "The file is too large.";
      if (status === 415) return "That file is not a video we can play.";
      if (status >= 500) return "A service is unavailable; the upload will go on when it is back.";
      return "The upload failed (HTTP " + status + ").";
    }
    return navigator.onLine ? "The connection failed; retrying…" : "You are offline; the upload goes on when you are back.";
  }
  function statusOf(err) { return err && err.originalResponse ? err.originalResponse.getStatus() : 0; }
  function isNetwork(err) { const s = statusOf(err); return !s || s >= 500; }
  // Worth another try: the network, or the server's "the offset moved" (409: another
  // request of this upload got there first) and "being written" (423), as tus says.
  function isRetryable(err) { return isNetwork(err) || [409, 423].includes(statusOf(err)); }
  // The file itself refused (not a video, too large, a name or metadata refused): sending
  // it again cannot help, and the server kept nothing of it to resume.
  function isRefused(err) { return [400, 413, 415].includes(statusOf(err)); }
  // The server holds as many unfinished uploads of this user as allowed: wait a turn.
  function isHeld(err) { return statusOf(err) === 429; }

  // Rate and time left. The rate is measured over the last RATE_WINDOW_MS (up to now,
  // so that a stall lowers it); the time left shows only once the window is full and
  // its later half agrees with the whole within a factor of two, and never past a day:
  // a first burst into buffers, or a stalled link, would otherwise promise nonsense.
  const RATE_WINDOW_MS = 4000, STALL_MS = 5000, MAX_ETA_S = 24 * 3600;
  function noteProgress(entry, sent, total) {
    const now = performance.now();
    if (!entry.samples.length) entry.samples.push([now, sent]);  // the start: bytes already on the server
    else if (sent !== entry.sent) entry.samples.push([now, sent]);
    while (entry.samples.length > 2 && now - entry.samples[1][0] > RATE_WINDOW_MS) entry.samples.shift();
    if (sent !== entry.sent) entry.moved = now;
    entry.sent = sent;
    entry.total = total;
  }
  function rateSince(entry, t0, b0, now) { return (entry.sent - b0) / Math.max((now - t0) / 1000, 0.001); }
  function progressText(entry) {
    const { sent, total, samples } = entry;
    if (sent === total) return "Checking the video…";
    const now = performance.now();
    const parts = [((100 * sent) / total).toFixed(0) + "%"];
    if (now - entry.moved > STALL_MS) return parts.concat("stalled; waiting for the link").join(" · ");
    const [t0, b0] = samples[0];
    if (now - t0 < 1000) return parts.join(" · ");  // too soon to tell a rate
    const rate = rateSince(entry, t0, b0, now);
    parts.push(human(rate) + "/s");
    const mid = samples.find(([t]) => t >= now - (now - t0) / 2);
    const recent = mid ? rateSince(entry, mid[0], mid[1], now) : 0;
    const eta = (total - sent) / rate;
    const steady = now - t0 >= RATE_WINDOW_MS && recent > rate / 2 && recent < rate * 2;
    if (steady && eta <= MAX_ETA_S) parts.push(duration(eta) + " left");
    return parts.join(" · ");
  }
  setInterval(() => {  // a rate and a time left that stay current between progress events
    for (const entry of entries) if (entry.state === "running" && entry.total) entry.text.textContent = progressText(entry);
  }, 1000);

  // What each state of a row shows: which buttons, and whether its bar means anything.
  const BUTTONS = {
    queued: ["cancel"], running: ["pause", "cancel"], paused: ["pause", "cancel"], waiting: ["pause", "cancel"],
    cancelling: [], done: ["link"], failed: ["retry"], cancelled: [],
  };
  function setState(entry, state) {
    entry.state = state;
    entry.li.className = state;
    const shown = BUTTONS[state];
    entry.pause.hidden = !shown.includes("pause");
    entry.cancel.hidden = !shown.includes("cancel");
    entry.retry.hidden = !(shown.includes("retry") && entry.retryable);
    entry.link.hidden = !(shown.includes("link") && entry.link.href);
    entry.bar.hidden = state === "failed" || state === "cancelled";
    entry.pause.textContent = state === "paused" ? "Resume" : "Pause";
    summary();
  }
  const OPEN = ["queued", "running", "paused", "waiting", "cancelling"];
  function isOpen(entry) { return OPEN.includes(entry.state); }

  // The line above the queue: how many are on their way, done, failed; it ends when they do.
  function summary() {
    const count = (...states) => entries.filter((e) => states.includes(e.state)).length;
    const total = entries.length, done = count("done"), failed = count("failed"), cancelled = count("cancelled");
    const open = entries.filter(isOpen).length;
    if (!total) return say("");
    const tail = [];
    if (failed) tail.push(failed + " failed");
    if (cancelled) tail.push(cancelled + " cancelled");
    if (open) {
      const detail = [count("running", "waiting") + " sending"];
      if (count("queued")) detail.push(count("queued") + " waiting their turn");
      if (count("paused")) detail.push(count("paused") + " paused");
      const head = "Uploading " + (open === 1 ? "1 file" : open + " files") + "… (" + detail.join(", ") + ")";
      return say([head, done + " of " + total + " done"].concat(tail).join(" · "));
    }
    if (done === total) return say(total === 1 ? "Uploaded." : "All " + total + " uploaded.");
    return say([done + " of " + total + " uploaded"].concat(tail).join(" · ") + ".", failed ? "error" : "");
  }

  // The queue: at most MAX_TRANSFERS rows sending; the next one waiting starts as one
  // ends. After a 429 it holds until an upload ends (or the server's Retry-After).
  let held = null;
  function pump() {
    if (held) return;
    while (entries.filter((e) => e.state === "running" || e.state === "waiting").length < MAX_TRANSFERS) {
      const next = entries.find((e) => e.state === "queued");
      if (!next) return;
      begin(next);
    }
  }
  function release() {
    clearTimeout(held);
    held = null;
    pump();
  }
  function hold() {
    clearTimeout(held);
    held = setTimeout(release, HELD_RETRY_MS);
  }

  function addEntry(file, name, visibility) {
    const li = el("li");
    li.dataset.file = file.name;
    const label = file.name + " (" + human(file.size) + ")";
    const title = el("span", "upload-name", label);
    title.title = label;  // shortened with an ellipsis when narrow: the whole name on hover
    const bar = el("progress");
    bar.max = 100; bar.value = 0;
    bar.setAttribute("aria-label", "Progress of " + file.name);
    const text = el("span", "muted progress-text", "Waiting its turn…");
    const actions = el("span", "actions");
    const pause = button("pause", "Pause"), cancel = button("cancel", "Cancel"), retry = button("retry", "Retry");
    const link = el("a", "button watch", "View video");
    link.setAttribute("aria-label", "View video " + file.name);
    actions.append(pause, cancel, retry, link);
    const error = el("span", "error");
    li.append(title, bar, text, actions, error);
    queue.append(li);
    const entry = { li, bar, text, pause, cancel, retry, link, error, file, name, visibility, upload: null, retryable: true };
    entries.push(entry);
    pause.onclick = () => togglePause(entry);
    cancel.onclick = () => cancelEntry(entry);
    retry.onclick = () => { entry.error.textContent = ""; entry.text.textContent = "Waiting its turn…"; setState(entry, "queued"); release(); };
    if (file.size > maxBytes) {
      fail(entry, "This file is " + human(file.size) + "; the limit is " + human(maxBytes) + ".", false);
      return entry;
    }
    setState(entry, "queued");
    return entry;
  }

  function fail(entry, why, retryable) {
    active.delete(entry);
    entry.retryable = retryable;
    entry.error.textContent = why;
    entry.text.textContent = retryable ? "Failed." : "Refused.";
    setState(entry, "failed");
  }

  // Forget the browser's note of this upload (kept for resuming it after a reload).
  function forgetStored(upload) {
    if (!upload || !upload.url) return Promise.resolve();
    return storage.findAllUploads().then((all) =>
      Promise.all(all.filter((u) => u.uploadUrl === upload.url).map((u) => storage.removeUpload(u.urlStorageKey))));
  }

  function begin(entry) {
    const { file, name, visibility } = entry;
    entry.samples = [];
    entry.sent = 0;
    entry.moved = performance.now();
    const metadata = { filename: file.name };
    if (name) metadata.name = name;
    if (visibility) metadata.visibility = visibility;  // who may watch the video: private or internal
    const upload = new window.tus.Upload(file, {
      endpoint: "/api/tus/",
      chunkSize: chunkSize,
      retryDelays: RETRIES,
      metadata: metadata,
      fingerprint: fingerprint,
      urlStorage: storage,
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onProgress(sent, total) {
        if (entry.upload !== upload || entry.state !== "running") return;
        noteProgress(entry, sent, total);
        entry.bar.value = (100 * sent) / total;
        entry.error.textContent = "";
        entry.text.textContent = progressText(entry);
      },
      onAfterResponse(_req, res) {
        const id = res.getHeader("Video-Id");
        if (id) entry.videoId = id;
      },
      onSuccess() { succeeded(entry); },
      onShouldRetry(err, _attempt, _options) {
        if (!isRetryable(err)) return false;
        entry.error.textContent = errorText(err);  // retrying by itself: say why it waits
        return true;
      },
      onError(err) { failed(entry, upload, err); },
    });
    entry.upload = upload;
    active.add(entry);
    entry.text.textContent = "Starting…";
    setState(entry, "running");
    // The same file chosen again after a reload: go on from the server's offset.
    upload.findPreviousUploads().then((previous) => {
      if (entry.upload !== upload || entry.state !== "running") return;  // cancelled meanwhile
      if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
      upload.start();
    });
  }

  function succeeded(entry) {
    active.delete(entry);
    entry.bar.value = 100;
    entry.text.textContent = "Uploaded; it will be ready to watch in a moment.";
    setState(entry, "done");
    release();
    refresh();
    showUnfinished();
  }

  function failed(entry, upload, err) {
    if (entry.upload !== upload || !isOpen(entry) || entry.state === "cancelling") return;
    if (isHeld(err)) {  // nothing was created: back to the head of the queue
      active.delete(entry);
      entry.text.textContent = "Waiting its turn: you have as many unfinished uploads as allowed; " +
        "this one starts when one of them ends.";
      setState(entry, "queued");
      hold();
      return;
    }
    if (isNetwork(err) && entry.state !== "paused") {
      entry.error.textContent = errorText(err);
      setState(entry, "waiting");  // the retries ran out: go on when the browser is back online
      if (navigator.onLine) setTimeout(() => goOn(entry), 5000);
      return;
    }
    const refused = isRefused(err), gone = [404, 410].includes(statusOf(err));
    fail(entry, errorText(err), !refused);
    const forgotten = refused || gone ? forgetStored(upload) : Promise.resolve();
    forgotten.then(showUnfinished);
    release();
  }

  function togglePause(entry) {
    const upload = entry.upload;
    if (entry.state === "paused") {
      setState(entry, "running");
      entry.moved = performance.now();
      entry.samples = [];
      upload.start();
    } else {
      setState(entry, "paused");
      upload.abort();
      entry.text.textContent = entry.text.textContent.replace(/ · paused$/, "") + " · paused";
      pump();  // a paused row does not hold a place among those sending
    }
  }

  function cancelEntry(entry) {
    active.delete(entry);
    const upload = entry.upload;
    const cancelled = () => {
      entry.text.textContent = "Cancelled; nothing was kept.";
      entry.error.textContent = "";
      setState(entry, "cancelled");
      release();
      showUnfinished();
    };
    if (entry.state === "queued" || !upload) { cancelled(); return; }
    setState(entry, "cancelling");
    upload.abort(true).then(cancelled, (err) => {  // true: terminate, the server drops what it has
      entry.error.textContent = errorText(err);
      setState(entry, "paused");
    });
  }

  function goOn(entry) {
    if (entry.state !== "waiting") return;
    setState(entry, "running");
    entry.upload.start();  // from the server's offset (a HEAD first)
  }
  window.addEventListener("online", () => { for (const entry of active) goOn(entry); });

  function choose(files) {
    files = Array.from(files || []);
    if (!files.length) return;
    const name = files.length === 1 ? nameInput.value.trim() : "";
    files.forEach((f) => addEntry(f, name, visibilityInput.value));
    nameInput.value = "";
    fileInput.value = "";
    pump();
  }
  fileInput.addEventListener("change", () => choose(fileInput.files));
  ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.remove("over"); }));
  drop.addEventListener("drop", (e) => choose(e.dataTransfer.files));
  form.addEventListener("submit", (e) => e.preventDefault());

  // Unfinished uploads of this user in this browser, but for those a row of this page
  // holds (sending, or failed with a Retry); refused files were forgotten when refused.
  function showUnfinished() {
    storage.findAllUploads().then((all) => {
      const running = new Set(Array.from(active).map((e) => e.file.name));
      const held = new Set(entries.filter((e) => e.upload && e.upload.url && (isOpen(e) || e.state === "failed"))
        .map((e) => e.upload.url));
      const left = all.filter((u) => !running.has((u.metadata || {}).filename) && !held.has(u.uploadUrl));
      unfinished.replaceChildren();
      for (const u of left) {
        const li = el("li");
        li.dataset.file = (u.metadata || {}).filename || "";
        const label = (li.dataset.file || "a file") + " (" + human(u.size || 0) + ")";
        const title = el("span", "upload-name", label);
        title.title = label;
        li.append(title);
        const discard = button("discard", "Discard");
        discard.onclick = () => {
          const headers = { "Tus-Resumable": "1.0.0" };
          fetch(u.uploadUrl, { method: "DELETE", headers }).finally(() =>
            storage.removeUpload(u.urlStorageKey).then(() => { showUnfinished(); release(); }));  // a place freed
        };
        li.append(discard);
        unfinished.append(li);
      }
      unfinishedBox.hidden = !left.length;
    });
  }
  showUnfinished();

  // A finished row links to its video's page (the watch_url the server gives), and
  // says once it is ready to watch.
  function linkRows(uploads) {
    const byId = new Map(uploads.map((v) => [v.id, v]));
    const base = uploads.length ? uploads[0].watch_url.replace(/[^/]*$/, "") : null;  // .../videos/
    for (const entry of entries) {
      if (entry.state !== "done" || !entry.videoId) continue;
      const v = byId.get(entry.videoId);  // (only the 50 most recent are listed)
      if (!v && !base) continue;
      entry.link.href = v ? v.watch_url : base + encodeURIComponent(entry.videoId);
      entry.link.hidden = false;
      if (!v) continue;
      if (v.status === "ready") entry.text.textContent = "Uploaded; ready to watch.";
      if (v.status === "failed") entry.text.textContent = "Uploaded, but it could not be prepared: " + (v.error || "see below");
    }
    return entries.some((e) => e.state === "done" && !e.link.href);
  }

  let timer = null;
  function render(uploads) {
    list.replaceChildren();
    if (!uploads.length) list.append(el("li", "muted", "Nothing uploaded yet."));
    for (const v of uploads) {
      const li = el("li");
      li.dataset.id = v.id;
      const status = el("span", "status " + v.status, v.status);
      const name = el(v.status === "ready" ? "a" : "span", "upload-name", v.video_name);
      name.title = v.video_name;
      if (v.status === "ready") name.href = v.watch_url;
      li.append(status, name);
      if (v.status === "failed" && v.error) li.append(el("span", "error", v.error));
      list.append(li);
    }
    const unlinked = linkRows(uploads);
    return unlinked || uploads.some((v) => v.status === "processing");
  }
  function refresh() {
    clearTimeout(timer);
    fetch("/api/uploads", { headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then((body) => { if (render(body.uploads)) timer = setTimeout(refresh, 1500); })
      .catch(() => { timer = setTimeout(refresh, 5000); });
  }
  refresh();
})();
