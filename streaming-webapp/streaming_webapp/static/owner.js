// The owner's tools on the video page (an admin's too): name and description, caption
// tracks (add with a language chosen by name and sent as its BCP 47 tag, replace, remove),
// retry, delete with undo (the trash), who may watch the video, and its share links: make
// one (expiry, password, download), show its URL and embed code once (only a hash of the
// token is kept), list the links and revoke them. The API decides.
(function () {
  "use strict";
  const tools = document.getElementById("owner-tools");
  if (!tools) return;
  const base = "/api/videos/" + tools.dataset.id;
  const visibility = document.getElementById("visibility");
  const visibilityMessage = document.getElementById("visibility-message");
  const form = document.getElementById("share-form");
  const expires = document.getElementById("share-expires");
  const password = document.getElementById("share-password");
  const download = document.getElementById("share-download");
  const message = document.getElementById("share-message");
  const fresh = document.getElementById("share-new");
  const urlBox = document.getElementById("share-url");
  const embedBox = document.getElementById("share-embed");
  const copyMessage = document.getElementById("copy-message");
  const rows = document.querySelector("#share-list tbody");
  const none = document.getElementById("share-none");

  async function api(method, url, body) {
    const opts = { method, headers: { Accept: "application/json" } };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    const r = await fetch(url, opts);
    if (r.status === 204) return null;
    const data = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(data.message || "Request failed (HTTP " + r.status + ")");
    return data;
  }
  function say(el, text, cls) { el.textContent = text; el.className = cls; }
  function when(iso) { return iso ? new Date(iso).toLocaleString() : "—"; }

  // -- visibility: saved as soon as it is chosen; put back if the API refuses it
  let saved = visibility.value;
  visibility.addEventListener("change", async () => {
    try {
      const v = await api("PATCH", base, { visibility: visibility.value });
      saved = v.visibility;
      say(visibilityMessage, "Saved.", "ok");
    } catch (err) {
      visibility.value = saved;
      say(visibilityMessage, err.message, "error");
    }
  });

  // -- the embed code of a link: a frame of its embed page
  function embedCode(url) {
    const frame = document.createElement("iframe");
    frame.setAttribute("src", url);
    frame.setAttribute("width", "640");
    frame.setAttribute("height", "360");
    frame.setAttribute("frameborder", "0");
    frame.setAttribute("allow", "fullscreen; picture-in-picture");
    frame.setAttribute("allowfullscreen", "");
    return frame.outerHTML;
  }
  async function copy(text) {
    try { await navigator.clipboard.writeText(text); say(copyMessage, "Copied.", "ok"); }
    catch (_err) { say(copyMessage, "Copying was refused: select the text and copy it.", "muted"); }
  }
  document.getElementById("copy-link").addEventListener("click", () => { urlBox.select(); copy(urlBox.value); });
  document.getElementById("copy-embed").addEventListener("click", () => { embedBox.select(); copy(embedBox.value); });

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { allow_download: download.checked };
    if (expires.value) {
      const at = new Date(expires.value);  // the browser's local time, sent with its zone (UTC)
      if (isNaN(at.getTime())) { say(message, "The expiry is not a date and time.", "error"); return; }
      body.expires_at = at.toISOString();
    }
    if (password.value) body.password = password.value;
    try {
      const share = await api("POST", base + "/shares", body);
      urlBox.value = share.url;
      embedBox.value = embedCode(share.embed_url);
      fresh.hidden = false;
      say(copyMessage, "", "");
      say(message, "Link created.", "ok");
      form.reset();
      list();
    } catch (err) {
      say(message, err.message, "error");
    }
  });

  function cell(text) { const td = document.createElement("td"); td.textContent = text; return td; }
  function row(s) {
    const tr = document.createElement("tr");
    tr.dataset.id = s.id;
    const revoke = document.createElement("button");
    revoke.type = "button"; revoke.className = "danger revoke"; revoke.textContent = "Revoke";
    revoke.addEventListener("click", async () => {
      if (!confirm("Revoke this link? Anyone watching through it is stopped.")) return;
      try { await api("DELETE", base + "/shares/" + s.id); say(message, "Link revoked.", "ok"); list(); }
      catch (err) { say(message, err.message, "error"); }
    });
    const last = document.createElement("td");
    last.append(revoke);
    tr.append(cell(when(s.created_at)), cell(s.expires_at ? when(s.expires_at) : "never"), cell(String(s.views)),
      cell(when(s.last_viewed_at)), cell(s.has_password ? "yes" : "no"), cell(s.allow_download ? "yes" : "no"), last);
    return tr;
  }
  async function list() {
    try {
      const data = await api("GET", base + "/shares");
      rows.replaceChildren(...data.shares.map(row));
      none.hidden = data.shares.length > 0;
    } catch (err) {
      say(message, err.message, "error");
    }
  }
  list();

  // -- name, description, retry, delete with undo (the trash: POST .../restore brings it back)
  const editMessage = document.getElementById("edit-message");
  const videoMessage = document.getElementById("video-message");
  const title = document.getElementById("video-title");
  const shown = document.getElementById("video-description");
  document.getElementById("rename-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const v = await api("PATCH", base, { video_name: document.getElementById("rename-input").value });
      title.textContent = v.video_name; document.title = v.video_name + " · Reelhouse";
      say(editMessage, "Renamed.", "ok");
    } catch (err) { say(editMessage, err.message, "error"); }
  });
  document.getElementById("description-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const v = await api("PATCH", base, { description: document.getElementById("description-input").value });
      shown.textContent = v.description; shown.hidden = !v.description;
      say(editMessage, "Description saved.", "ok");
    } catch (err) { say(editMessage, err.message, "error"); }
  });
  const retry = document.getElementById("retry");
  if (retry) retry.addEventListener("click", async () => {
    try { await api("POST", base + "/retry"); say(videoMessage, "Queued again; this page will show it.", "ok"); }
    catch (err) { say(videoMessage, err.message, "error"); }
  });
  // While the video is in the trash the page's sections are inert (the toast, outside
  // them, stays usable): Undo restores it; the toast's link leads back to the library.
  const toast = document.getElementById("undo-toast");
  const undoText = document.getElementById("undo-text");
  const sections = Array.from(document.querySelectorAll("main > section"));
  function trashed(on) { sections.forEach((s) => { s.inert = on; }); toast.hidden = !on; }
  document.getElementById("delete-video").addEventListener("click", async () => {
    try {
      const video = document.getElementById("video");
      if (video) video.pause();
      await api("DELETE", base);
      undoText.textContent = "Moved to the trash.";
      trashed(true); document.getElementById("undo-delete").focus();
    } catch (err) { say(videoMessage, err.message, "error"); }
  });
  document.getElementById("undo-delete").addEventListener("click", async () => {
    try {
      await api("POST", base + "/restore");
      trashed(false); say(videoMessage, "Restored.", "ok");
      document.getElementById("delete-video").focus();
    } catch (err) { undoText.textContent = err.message; }
  });

  // -- caption tracks: the form posts multipart to the caption API (a track of the same
  // language is replaced); the list is the video's `captions`, read again after a change.
  const captionForm = document.getElementById("caption-form");
  const captionFile = document.getElementById("caption-file");
  const captionLanguage = document.getElementById("caption-language");
  const captionLabel = document.getElementById("caption-label");
  const captionDefault = document.getElementById("caption-default");
  const captionSubmit = document.getElementById("caption-submit");
  const captionCancel = document.getElementById("caption-cancel");
  const captionMessage = document.getElementById("caption-message");
  const captionRows = document.querySelector("#caption-list tbody");
  const captionNone = document.getElementById("caption-none");
  function languageName(tag) {
    const known = Array.from(captionLanguage.options).find((o) => o.value === tag);
    return known ? known.textContent : tag;
  }
  // The label follows the language until the owner types one of their own.
  let autoLabel = "";
  function followLanguage() {
    if (captionLabel.value === "" || captionLabel.value === autoLabel) {
      autoLabel = languageName(captionLanguage.value);
      captionLabel.value = autoLabel;
    }
  }
  function preferredLanguage() {  // the browser's own, when the list has it
    const tags = Array.from(captionLanguage.options).map((o) => o.value);
    const wanted = (navigator.languages || [navigator.language]).find((t) => tags.includes(t));
    if (wanted) captionLanguage.value = wanted;
  }
  function resetCaptionForm() {
    captionForm.reset(); preferredLanguage();
    captionLabel.value = ""; autoLabel = ""; followLanguage();
    captionSubmit.textContent = "Add track"; captionCancel.hidden = true;
  }
  captionLanguage.addEventListener("change", followLanguage);
  captionCancel.addEventListener("click", () => { resetCaptionForm(); say(captionMessage, "", ""); });
  function replaceTrack(t) {
    if (!Array.from(captionLanguage.options).some((o) => o.value === t.language)) {
      captionLanguage.append(new Option(t.language, t.language));  // a tag the list lacks (added through the API)
    }
    captionLanguage.value = t.language;
    captionLabel.value = t.label; autoLabel = "";
    captionDefault.checked = t.default;
    captionSubmit.textContent = "Replace track"; captionCancel.hidden = false;
    say(captionMessage, "Choose the new file for " + t.label + ", then Replace track.", "muted");
    captionFile.focus();
  }
  function captionRow(t) {
    const tr = document.createElement("tr");
    tr.dataset.language = t.language;
    const replace = document.createElement("button");
    replace.type = "button"; replace.className = "secondary"; replace.textContent = "Replace";
    replace.setAttribute("aria-label", "Replace the track " + t.label);
    replace.addEventListener("click", () => replaceTrack(t));
    const remove = document.createElement("button");
    remove.type = "button"; remove.className = "danger"; remove.textContent = "Remove";
    remove.setAttribute("aria-label", "Remove the track " + t.label);
    remove.addEventListener("click", async () => {
      if (!confirm("Remove the caption track " + t.label + "?")) return;
      try {
        await api("DELETE", base + "/captions/" + encodeURIComponent(t.language));
        say(captionMessage, "Track removed: " + t.label + ".", "ok");
        captionsChanged();
        listCaptions();
      } catch (err) { say(captionMessage, err.message, "error"); }
    });
    const last = document.createElement("td");
    last.append(replace, " ", remove);
    tr.append(cell(languageName(t.language) + " (" + t.language + ")"), cell(t.label), cell(t.default ? "yes" : "no"), last);
    return tr;
  }
  // The player on this page reads its tracks from the master playlist: told, it reads it
  // again (player.js), so the change is there without a reload.
  function captionsChanged() { document.dispatchEvent(new CustomEvent("reelhouse:captions")); }
  async function listCaptions() {
    try {
      const v = await api("GET", base);
      captionRows.replaceChildren(...v.captions.map(captionRow));
      captionNone.hidden = v.captions.length > 0;
    } catch (err) { say(captionMessage, err.message, "error"); }
  }
  captionForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!captionFile.files.length) { say(captionMessage, "Choose a caption file (.vtt or .srt) first.", "error"); return; }
    const body = new FormData();
    body.append("file", captionFile.files[0]);
    body.append("language", captionLanguage.value);
    body.append("label", captionLabel.value.trim() || languageName(captionLanguage.value));
    body.append("default", captionDefault.checked ? "true" : "false");
    captionSubmit.disabled = true;
    try {
      const r = await fetch(base + "/captions", { method: "POST", body, headers: { Accept: "application/json" } });
      const data = await r.json().catch(() => ({}));
      if (!r.ok) throw new Error(data.message || "The track was not saved (HTTP " + r.status + ").");
      say(captionMessage, "Track saved: " + data.label + " (" + data.language + "). It is in the player's captions menu.", "ok");
      resetCaptionForm();
      captionsChanged();
      listCaptions();
    } catch (err) {
      say(captionMessage, err instanceof TypeError ? "The server could not be reached; try again." : err.message, "error");
    } finally { captionSubmit.disabled = false; }
  });
  resetCaptionForm();
  listCaptions();
})();
