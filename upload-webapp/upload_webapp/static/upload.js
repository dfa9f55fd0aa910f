// Upload page: several files at once, by picker or drop, each sent with tus (resumable,
// tus-js-client) in 16 MiB chunks: a queue with progress, speed, time left, pause and
// resume, cancel, and errors in words. A lost connection is retried with back-off and
// resumed when the browser is back online; after a reload the unfinished uploads are
// offered and go on from the server's offset once the same file is chosen again.
// Those unfinished uploads are the signed-in user's alone: kept in localStorage under
// keys of theirs, forgotten at logout, and those of anyone else forgotten when the page
// loads (a shared browser shows no one the names and sizes of another's files).
(function () {
  "use strict";
  const [form, fileInput, nameInput, visibilityInput, drop, message, queue, unfinishedBox, unfinished, list] = [
    "upload-form", "file", "name", "visibility", "dropzone", "message", "queue", "unfinished-box", "unfinished", "uploads",
  ].map((id) => document.getElementById(id));
  const user = form.dataset.user;
  const maxBytes = Number(form.dataset.maxBytes);
  const chunkSize = Number(form.dataset.chunkBytes);
  const RETRIES = [0, 1000, 3000, 5000, 10000, 20000, 30000, 60000];
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
    if (!isFinite(s)) return "…";
    s = Math.round(s);
    const m = Math.floor(s / 60);
    return m ? m + " min " + (s % 60) + " s" : s + " s";
  }
  function say(text, kind) { message.textContent = text; message.className = kind || ""; }
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
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
  function isNetwork(err) { return !(err && err.originalResponse) || err.originalResponse.getStatus() >= 500; }
  // Worth another try: the network, or the server's "the offset moved" (409: another
  // request of this upload got there first) and "being written" (423), as tus says.
  function isRetryable(err) {
    return isNetwork(err) || [409, 423].includes(err.originalResponse.getStatus());
  }

  function addEntry(file, name, visibility) {
    const li = el("li", "queued");
    li.dataset.file = file.name;
    const title = el("span", "upload-name", file.name + " (" + human(file.size) + ")");
    const bar = el("progress");
    bar.max = 100; bar.value = 0;
    bar.setAttribute("aria-label", "Progress of " + file.name);
    const text = el("span", "muted progress-text", "Waiting…");
    const pause = el("button", "secondary pause", "Pause");
    pause.type = "button";
    const cancel = el("button", "secondary cancel", "Cancel");
    cancel.type = "button";
    const error = el("span", "error");
    li.append(title, bar, text, pause, cancel, error);
    queue.append(li);
    const entry = { li, bar, text, pause, cancel, error, file, upload: null, paused: false, done: false };
    start(entry, name, visibility);
    return entry;
  }

  function start(entry, name, visibility) {
    const { file } = entry;
    if (file.size > maxBytes) {
      entry.error.textContent = "This file is " + human(file.size) + "; the limit is " + human(maxBytes) + ".";
      entry.li.className = "failed";
      entry.pause.hidden = entry.cancel.hidden = true;
      return;
    }
    let started = 0, startBytes = 0;
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
        if (!started) { started = performance.now(); startBytes = sent; }
        const secs = (performance.now() - started) / 1000;
        const speed = (sent - startBytes) / Math.max(secs, 0.001);
        const pct = (100 * sent) / total;
        entry.bar.value = pct;
        entry.error.textContent = "";
        entry.text.textContent = pct.toFixed(0) + "% · " + human(speed) + "/s · " +
          duration((total - sent) / Math.max(speed, 1)) + " left";
        if (sent === total) entry.text.textContent = "Checking the video…";
      },
      onAfterResponse(_req, res) {
        const id = res.getHeader("Video-Id");
        if (id) entry.videoId = id;
      },
      onSuccess() {
        entry.done = true;
        active.delete(entry);
        entry.li.className = "done";
        entry.bar.value = 100;
        entry.text.textContent = "Uploaded; it will be ready to watch in a moment.";
        entry.pause.hidden = entry.cancel.hidden = true;
        refresh();
        showUnfinished();
      },
      onShouldRetry(err, _attempt, _options) {
        if (!isRetryable(err)) return false;
        entry.error.textContent = errorText(err);  // retrying by itself: say why it waits
        return true;
      },
      onError(err) {
        entry.error.textContent = errorText(err);
        if (isNetwork(err) && !entry.paused) {
          entry.li.className = "waiting";  // the retries ran out: go on when the browser is back online
          entry.waiting = true;
          if (navigator.onLine) setTimeout(() => goOn(entry), 5000);
          return;
        }
        active.delete(entry);
        entry.li.className = "failed";
        entry.pause.hidden = entry.cancel.hidden = true;
        showUnfinished();
      },
    });
    entry.upload = upload;
    active.add(entry);
    entry.li.className = "running";
    entry.pause.onclick = () => {
      if (entry.paused) { entry.paused = false; entry.pause.textContent = "Pause"; entry.li.className = "running"; upload.start(); }
      else { entry.paused = true; entry.pause.textContent = "Resume"; entry.li.className = "paused"; upload.abort(); entry.text.textContent += " · paused"; }
    };
    entry.cancel.onclick = () => {
      entry.paused = true;
      active.delete(entry);
      upload.abort(true).then(() => {  // true: terminate, the server drops what it has
        entry.li.className = "cancelled";
        entry.text.textContent = "Cancelled; nothing was kept.";
        entry.pause.hidden = entry.cancel.hidden = true;
        showUnfinished();
      }).catch((err) => { entry.error.textContent = errorText(err); });
    };
    // The same file chosen again after a reload: go on from the server's offset.
    upload.findPreviousUploads().then((previous) => {
      if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
      upload.start();
    });
  }

  function goOn(entry) {
    if (!entry.waiting || entry.paused || entry.done) return;
    entry.waiting = false;
    entry.li.className = "running";
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
    say(files.length === 1 ? "Uploading " + files[0].name + "…" : "Uploading " + files.length + " files…");
  }
  fileInput.addEventListener("change", () => choose(fileInput.files));
  ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.remove("over"); }));
  drop.addEventListener("drop", (e) => choose(e.dataTransfer.files));
  form.addEventListener("submit", (e) => e.preventDefault());

  // Unfinished uploads of this user in this browser.
  function showUnfinished() {
    storage.findAllUploads().then((all) => {
      const running = new Set(Array.from(active).map((e) => e.file.name));
      const left = all.filter((u) => !running.has((u.metadata || {}).filename));
      unfinished.replaceChildren();
      for (const u of left) {
        const li = el("li");
        li.dataset.file = (u.metadata || {}).filename || "";
        li.append(el("span", "upload-name", (li.dataset.file || "a file") + " (" + human(u.size || 0) + ")"));
        const discard = el("button", "secondary discard", "Discard");
        discard.type = "button";
        discard.onclick = () => {
          const headers = { "Tus-Resumable": "1.0.0" };
          fetch(u.uploadUrl, { method: "DELETE", headers }).finally(() =>
            storage.removeUpload(u.urlStorageKey).then(showUnfinished));
        };
        li.append(discard);
        unfinished.append(li);
      }
      unfinishedBox.hidden = !left.length;
    });
  }
  showUnfinished();

  let timer = null;
  function render(uploads) {
    list.replaceChildren();
    if (!uploads.length) list.append(el("li", "muted", "Nothing uploaded yet."));
    for (const v of uploads) {
      const li = el("li");
      li.dataset.id = v.id;
      const status = el("span", "status " + v.status, v.status);
      const name = el(v.status === "ready" ? "a" : "span", "upload-name", v.video_name);
      if (v.status === "ready") name.href = v.watch_url;
      li.append(status, name);
      if (v.status === "failed" && v.error) li.append(el("span", "error", v.error));
      list.append(li);
    }
    return uploads.some((v) => v.status === "processing");
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
