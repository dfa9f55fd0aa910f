// The owner's tools on the video page (an admin's too): who may watch the video, and its
// share links: make one (expiry, password, download), show its URL and embed code once
// (only a hash of the token is kept), list the links and revoke them. The API decides.
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
  const toast = document.getElementById("undo-toast");
  const main = document.querySelector("main") || document.body;
  document.getElementById("delete-video").addEventListener("click", async () => {
    try {
      await api("DELETE", base);
      main.inert = true; toast.hidden = false; document.getElementById("undo-delete").focus();
    } catch (err) { say(videoMessage, err.message, "error"); }
  });
  document.getElementById("undo-delete").addEventListener("click", async () => {
    try {
      await api("POST", base + "/restore");
      toast.hidden = true; main.inert = false; say(videoMessage, "Restored.", "ok");
    } catch (err) { toast.querySelector("span").textContent = err.message; }
  });
})();
