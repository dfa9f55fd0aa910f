// Upload page: choose or drop a file, upload with a real progress bar, cancel,
// and the list of recent uploads whose status updates live.
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  const fileInput = document.getElementById("file");
  const nameInput = document.getElementById("name");
  const drop = document.getElementById("dropzone");
  const chosen = document.getElementById("chosen");
  const button = document.getElementById("upload-button");
  const cancel = document.getElementById("cancel-button");
  const box = document.getElementById("progress-box");
  const bar = document.getElementById("progress");
  const text = document.getElementById("progress-text");
  const message = document.getElementById("message");
  const list = document.getElementById("uploads");
  const maxBytes = Number(form.dataset.maxBytes);
  let file = null;
  let xhr = null;

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
  function say(text, kind) {
    message.textContent = text;
    message.className = kind || "";
  }
  function choose(f) {
    file = f || null;
    if (!file) { button.disabled = true; return; }
    chosen.textContent = file.name + " (" + human(file.size) + ")";
    if (file.size > maxBytes) {
      say("This file is " + human(file.size) + "; the limit is " + human(maxBytes) + ".", "error");
      button.disabled = true;
      return;
    }
    say("");
    button.disabled = false;
  }
  fileInput.addEventListener("change", () => choose(fileInput.files[0]));
  ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.remove("over"); }));
  drop.addEventListener("drop", (e) => { if (e.dataTransfer.files.length) choose(e.dataTransfer.files[0]); });

  function errorText(status, body) {
    if (body && body.message) return body.message;
    if (status === 413) return "The file is too large.";
    if (status === 415) return "That file is not a video we can play.";
    if (status === 401) return "Your session has ended; reload the page to log in again.";
    if (status === 503) return "A service is unavailable; try again shortly.";
    return "The upload failed (HTTP " + status + ").";
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!file) return;
    const data = new FormData();
    if (nameInput.value.trim()) data.append("name", nameInput.value.trim());
    data.append("file", file, file.name);
    xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/upload");
    xhr.setRequestHeader("Accept", "application/json");
    const started = performance.now();
    box.hidden = false;
    cancel.hidden = false;
    button.disabled = true;
    bar.value = 0;
    say("Uploading…");
    xhr.upload.addEventListener("progress", (ev) => {
      if (!ev.lengthComputable) return;
      const pct = (100 * ev.loaded) / ev.total;
      const secs = (performance.now() - started) / 1000;
      const speed = ev.loaded / Math.max(secs, 0.001);
      bar.value = pct;
      text.textContent = pct.toFixed(0) + "% · " + human(speed) + "/s · " +
        duration((ev.total - ev.loaded) / speed) + " left";
      if (ev.loaded === ev.total) say("Checking the video…");
    });
    xhr.addEventListener("load", () => {
      const status = xhr.status;
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
      finish();
      if (status === 201) {
        say("Uploaded “" + body.video_name + "”. It will be ready to watch in a moment.", "ok");
        form.reset();
        choose(null);
        chosen.textContent = "";
        refresh();
      } else {
        say(errorText(status, body), "error");
      }
    });
    xhr.addEventListener("error", () => { finish(); say("The connection failed; nothing was saved. Try again.", "error"); });
    xhr.addEventListener("abort", () => { finish(); say("Upload cancelled; nothing was saved."); });
    xhr.send(data);
  });
  cancel.addEventListener("click", () => { if (xhr) xhr.abort(); });
  function finish() {
    cancel.hidden = true;
    box.hidden = true;
    button.disabled = !file;
    xhr = null;
  }

  let timer = null;
  function render(uploads) {
    list.replaceChildren();
    if (!uploads.length) {
      const li = document.createElement("li");
      li.className = "muted";
      li.textContent = "Nothing uploaded yet.";
      list.append(li);
    }
    for (const v of uploads) {
      const li = document.createElement("li");
      li.dataset.id = v.id;
      const status = document.createElement("span");
      status.className = "status " + v.status;
      status.textContent = v.status;
      const name = document.createElement(v.status === "ready" ? "a" : "span");
      name.textContent = v.video_name;
      name.className = "upload-name";
      if (v.status === "ready") name.href = v.watch_url;
      li.append(status, name);
      if (v.status === "failed" && v.error) {
        const why = document.createElement("span");
        why.className = "error";
        why.textContent = v.error;
        li.append(why);
      }
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
