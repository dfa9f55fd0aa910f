// The admin's people page: invite someone (the link shown once, with a copy button),
// and per person change the role, the quotas, disable or enable, reset the password (a
// new link), delete (their videos kept under someone else's name, or deleted).
// Everything goes through the JSON API of auth-svc (/api/users...); names and messages
// are set as text, never as HTML.
(function () {
  "use strict";
  const root = document.getElementById("admin");
  const me = root.dataset.me;
  const GiB = 1024 * 1024 * 1024;
  const tbody = document.querySelector("#users tbody");
  const message = document.getElementById("admin-message");
  const linkBox = document.getElementById("link-box");
  const linkUrl = document.getElementById("link-url");
  const linkTitle = document.getElementById("link-title");
  const linkNote = document.getElementById("link-note");
  const ROLES = [["admin", "Administrator"], ["uploader", "Uploader"], ["viewer", "Viewer"]];
  const SOURCES = { env: "environment", file: "users file", database: "database" };
  let people = [];

  async function api(method, url, body) {
    const opts = { method, headers: { Accept: "application/json" } };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    const r = await fetch(url, opts);
    if (r.status === 401) { location.href = "/login?redirect=" + encodeURIComponent(location.href); }
    if (r.status === 204) return null;
    const data = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(data.message || "Request failed (HTTP " + r.status + ")");
    return data;
  }
  function say(text, ok) {
    message.textContent = text || "";
    message.className = ok ? "ok" : "error";
  }
  function size(bytes) {
    if (bytes == null) return "";
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (bytes >= 1024 && i < units.length - 1) { bytes /= 1024; i++; }
    return (i ? bytes.toFixed(1) : String(bytes)) + " " + units[i];
  }
  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text != null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function button(label, cls, onclick) {
    const b = el("button", label, cls);
    b.type = "button";
    b.addEventListener("click", onclick);
    return b;
  }
  function usage(used, quota, fmt) {
    const cell = el("td");
    cell.append(el("span", fmt(used) + " of " + (quota == null ? "no limit" : fmt(quota))));
    if (quota != null) {
      const bar = el("progress");
      bar.max = Math.max(quota, 1); bar.value = Math.min(used, bar.max);
      bar.setAttribute("aria-label", "Used of the quota");
      cell.append(bar);
    }
    return cell;
  }
  // A quota typed by the admin: "" (`empty`), "none" (null) or a number (GiB or videos).
  function parseQuota(text, scale, empty) {
    text = text.trim().toLowerCase();
    if (text === "") return empty;
    if (text === "none") return null;
    const n = Number(text);
    if (!isFinite(n) || n < 0) throw new Error("A quota is a number, or \"none\" for no limit.");
    return Math.round(n * scale);
  }

  function showLink(title, url) {
    linkTitle.textContent = title;
    linkUrl.value = url;
    linkNote.textContent = "It works once, for " + root.dataset.inviteHours + " hours. It will not be shown again.";
    linkBox.hidden = false;
    linkUrl.focus(); linkUrl.select();
  }
  document.getElementById("copy-link").addEventListener("click", async () => {
    const copyButton = document.getElementById("copy-link");
    try {
      await navigator.clipboard.writeText(linkUrl.value);
    } catch (e) {
      linkUrl.select(); document.execCommand("copy");  // no clipboard API (not a secure context)
    }
    copyButton.textContent = "Copied";
    setTimeout(() => { copyButton.textContent = "Copy"; }, 2000);
  });

  function confirmDialog(title, text, okLabel) {
    const dialog = document.getElementById("confirm-dialog");
    document.getElementById("confirm-title").textContent = title;
    document.getElementById("confirm-text").textContent = text;
    document.getElementById("confirm-ok").textContent = okLabel;
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
      dialog.showModal();
    });
  }

  async function act(work, done) {
    say("");
    try {
      const result = await work();
      if (done) say(done, true);
      await load();
      return result;
    } catch (e) {
      say(e.message);
      await load();
      return null;
    }
  }
  const path = (name) => "/api/users/" + encodeURIComponent(name);

  function roleCell(p) {
    const cell = el("td");
    if (p.source !== "database") { cell.textContent = ROLES.find((r) => r[0] === p.role)[1]; return cell; }
    const select = el("select");
    select.setAttribute("aria-label", "Role of " + p.username);
    select.dataset.action = "role";
    for (const [value, label] of ROLES) {
      const o = el("option", label); o.value = value; o.selected = value === p.role; select.append(o);
    }
    select.addEventListener("change", () =>
      act(() => api("PATCH", path(p.username), { role: select.value }), p.username + " is now " + select.value + "."));
    cell.append(select);
    return cell;
  }
  function actionsCell(p) {
    const cell = el("td", null, "actions");
    if (p.source !== "database") {
      // \u2011, a non-breaking hyphen: "auth-svc" is never split over two lines.
      cell.append(el("span", p.source === "env" ? "Set in auth\u2011svc's environment" : "Set in AUTH_USERS_FILE", "muted"));
      return cell;
    }
    cell.append(button(p.disabled ? "Enable" : "Disable", "secondary", () =>
      act(() => api("PATCH", path(p.username), { disabled: !p.disabled }),
        p.username + (p.disabled ? " is enabled again." : " is disabled: their sessions and tokens stop working."))));
    cell.append(button("Quota", "secondary", () => editQuota(p)));
    cell.append(button("Reset password", "secondary", async () => {
      const ok = await confirmDialog("Reset " + p.username + "'s password?",
        "Their password stops working now, and so do their sessions and API tokens. You get a link where they " +
        "choose a new one.", "Reset");
      if (!ok) return;
      const data = await act(() => api("POST", path(p.username) + "/reset"));
      if (data) showLink("Send this link to " + p.username + " to choose a new password:", data.invite_url);
    }));
    cell.append(button("Delete", "danger", () => remove(p)));
    return cell;
  }
  function row(p) {
    const tr = el("tr");
    tr.dataset.username = p.username;
    const name = el("th", p.username);
    name.scope = "row";
    if (p.username === me) name.append(el("span", " (you)", "muted"));
    const state = p.disabled ? "Disabled" : p.invited ? "Invited (no password yet)" : "Active";
    tr.append(name, roleCell(p), el("td", SOURCES[p.source] || p.source), el("td", state, p.disabled ? "error" : ""),
      usage(p.bytes_used, p.quota_bytes, size), usage(p.videos_used, p.quota_videos, String),
      el("td", p.created_at ? p.created_at.slice(0, 10) : "", "nowrap"), actionsCell(p));
    return tr;
  }
  async function load() {
    try {
      people = (await api("GET", "/api/users")).users;
    } catch (e) {
      say(e.message);
      return;
    }
    tbody.replaceChildren(...people.map(row));
    root.dataset.loaded = "true";
  }

  function editQuota(p) {
    const dialog = document.getElementById("quota-dialog");
    document.getElementById("quota-title").textContent = "Quotas of " + p.username;
    const gb = document.getElementById("quota-gb"), videos = document.getElementById("quota-videos");
    gb.value = p.quota_bytes == null ? "" : String(+(p.quota_bytes / GiB).toFixed(3));
    videos.value = p.quota_videos == null ? "" : String(p.quota_videos);
    dialog.addEventListener("close", () => {
      if (dialog.returnValue !== "ok") return;
      act(() => {
        const body = { quota_bytes: parseQuota(gb.value, GiB, null), quota_videos: parseQuota(videos.value, 1, null) };
        return api("PATCH", path(p.username), body);
      }, "The quotas of " + p.username + " are saved.");
    }, { once: true });
    dialog.showModal();
  }

  function remove(p) {
    const dialog = document.getElementById("delete-dialog");
    document.getElementById("delete-title").textContent = "Delete " + p.username + "?";
    document.getElementById("delete-text").textContent = p.username + " has " + p.videos_used + " video" +
      (p.videos_used === 1 ? "" : "s") + ". Their sessions, tokens and links end; this cannot be undone.";
    const heir = document.getElementById("delete-heir");
    const heirs = people.filter((o) => o.username !== p.username && o.role !== "viewer");
    heir.replaceChildren(...heirs.map((o) => { const opt = el("option", o.username); opt.value = o.username; return opt; }));
    const fallback = heirs.find((o) => o.username === me);
    if (fallback) heir.value = fallback.username;
    document.getElementById("delete-keep").disabled = heirs.length === 0;
    if (!heirs.length) document.getElementById("delete-videos").checked = true;
    dialog.returnValue = "";
    dialog.addEventListener("close", () => {
      if (dialog.returnValue !== "ok") return;
      const keep = document.getElementById("delete-keep").checked;
      const videos = keep ? heir.value : "delete";
      act(() => api("DELETE", path(p.username) + "?videos=" + encodeURIComponent(videos)),
        p.username + " is deleted" + (keep ? "; their videos are " + heir.value + "'s now." : ", with their videos."));
    }, { once: true });
    dialog.showModal();
  }

  document.getElementById("create-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    let body;
    try {
      body = { username: form.username.value, role: form.role.value };
      const gb = parseQuota(form.quota_gb.value, GiB, undefined);
      const videos = parseQuota(form.quota_videos.value, 1, undefined);
      if (gb !== undefined) body.quota_bytes = gb;
      if (videos !== undefined) body.quota_videos = videos;
    } catch (e) {
      say(e.message);
      return;
    }
    const data = await act(() => api("POST", "/api/users", body), "");
    if (data) {
      form.reset();
      say(data.user.username + " is invited as " + data.user.role + ".", true);
      showLink("Send this link to " + data.user.username + " to choose a password:", data.invite_url);
    }
  });

  load();
})();
