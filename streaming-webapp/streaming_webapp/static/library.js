// The library: posters, names, durations, dates, sizes, status; sorted (newest first by
// default), paged, searchable, with the search, the sort and the page kept in the address
// (Back returns to them). Owners (and admins, of any video) can rename in place, delete (to
// the trash, with Undo) and retry failed videos or renditions; the API checks it again.
(function () {
  "use strict";
  const grid = document.getElementById("library");
  const me = grid.dataset.user;
  const admin = grid.dataset.role === "admin";
  const message = document.getElementById("library-message");
  const empty = document.getElementById("library-empty");
  const q = document.getElementById("q");
  const sort = document.getElementById("sort");
  const pager = document.getElementById("pager");
  const prev = document.getElementById("prev");
  const next = document.getElementById("next");
  const info = document.getElementById("page-info");
  const SORTS = Array.from(sort.options, (o) => o.value);
  let page = 1;
  let timer = null;

  // The state is the address's: read on arrival and on Back/Forward.
  function readAddress() {
    const params = new URLSearchParams(location.search);
    page = Math.max(1, parseInt(params.get("page") || "1", 10) || 1);
    q.value = params.get("q") || "";
    sort.value = SORTS.includes(params.get("sort")) ? params.get("sort") : "newest";
  }
  // Only what differs from the defaults, so that the library's own address stays bare.
  function address() {
    const params = new URLSearchParams();
    if (q.value) params.set("q", q.value);
    if (sort.value !== "newest") params.set("sort", sort.value);
    if (page > 1) params.set("page", String(page));
    const query = params.toString();
    return location.pathname + (query ? "?" + query : "");
  }
  // A new page or order is a step Back can undo (push); typing in the search box only
  // rewrites the current step (replace), or Back would walk through every keystroke.
  function remember(push) {
    const url = address();
    if (url === location.pathname + location.search) return;
    if (push) history.pushState(null, "", url);
    else history.replaceState(null, "", url);
  }
  function size(bytes) {
    if (bytes == null) return "";
    const units = ["B", "KB", "MB", "GB", "TB"];
    let n = bytes, u = 0;
    while (n >= 1000 && u < units.length - 1) { n /= 1000; u++; }
    return (u && n < 10 ? n.toFixed(1) : String(Math.round(n))) + " " + units[u];
  }
  function when(iso) {
    const t = document.createElement("time");
    t.dateTime = iso;
    t.className = "uploaded";
    const d = new Date(iso);
    t.textContent = d.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
    t.title = "Uploaded " + d.toLocaleString();
    return t;
  }
  function clock(s) {
    if (s == null) return "";
    s = Math.round(s);
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    const mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(sec).padStart(2, "0");
  }
  async function api(method, url, body) {
    const opts = { method, headers: { Accept: "application/json" } };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    const r = await fetch(url, opts);
    if (r.status === 204) return null;
    const data = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(data.message || "Request failed (HTTP " + r.status + ")");
    return data;
  }
  function button(label, cls, onclick) {
    const b = document.createElement("button");
    b.type = "button"; b.textContent = label; b.className = cls; b.addEventListener("click", onclick);
    return b;
  }
  // Rename in the card itself: the title becomes a small form (Enter saves, Escape or
  // Cancel puts the title back); no browser prompt().
  function renameInPlace(v, title, actions) {
    const form = document.createElement("form");
    form.className = "rename-form";
    const input = document.createElement("input");
    input.type = "text"; input.value = v.video_name; input.maxLength = 200; input.required = true;
    input.setAttribute("aria-label", "New name for " + v.video_name);
    const error = document.createElement("span");
    error.className = "error"; error.setAttribute("role", "alert");
    const save = document.createElement("button");
    save.type = "submit"; save.textContent = "Save";
    function close() { form.replaceWith(title); actions.hidden = false; title.focus(); }
    form.append(input, save, button("Cancel", "secondary cancel", close), error);
    form.addEventListener("keydown", (e) => { if (e.key === "Escape") { e.preventDefault(); close(); } });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const renamed = await api("PATCH", "/api/videos/" + v.id, { video_name: input.value });
        v.video_name = title.textContent = renamed.video_name;
        close();
      } catch (err) { error.textContent = err.message; input.focus(); }
    });
    actions.hidden = true;
    title.replaceWith(form);
    input.focus(); input.select();
  }
  // A delete moves the video to the trash at once (no confirm()): the toast offers Undo
  // (POST .../restore) until the next delete or until it is dismissed.
  const toast = document.getElementById("undo-toast");
  const undoText = document.getElementById("undo-text");
  const undo = document.getElementById("undo-delete");
  let lastTrashed = null;
  function trashed(v) {
    lastTrashed = v;
    undoText.textContent = "“" + v.video_name + "” moved to the trash.";
    toast.hidden = false;
    undo.focus();
  }
  undo.addEventListener("click", async () => {
    if (!lastTrashed) return;
    try {
      await api("POST", "/api/videos/" + lastTrashed.id + "/restore");
      undoText.textContent = "“" + lastTrashed.video_name + "” restored.";
      lastTrashed = null; load();
      setTimeout(() => { if (!lastTrashed) toast.hidden = true; }, 4000);
    } catch (err) { undoText.textContent = err.message; }
  });
  document.getElementById("undo-dismiss").addEventListener("click", () => { toast.hidden = true; lastTrashed = null; });
  function tile(v) {
    const li = document.createElement("li");
    li.className = "tile"; li.dataset.id = v.id;
    const link = document.createElement("a");
    link.href = v.watch_url;
    // The poster repeats the title's link: kept out of the tab order and of what a screen
    // reader lists (a link with no name otherwise).
    link.tabIndex = -1; link.setAttribute("aria-hidden", "true");
    const img = document.createElement("img");
    img.alt = ""; img.loading = "lazy";
    if (v.status === "ready") {
      img.src = v.poster_url;  // made with the first rendition, before "ready"
      // Hovering a poster runs through the video's thumbnails, once they are made (the
      // list is empty until then: nothing is asked for that does not exist yet).
      const shots = v.thumbnails || [];
      if (shots.length) {
        let shot = -1, flip = null;
        link.addEventListener("mouseenter", () => {
          clearInterval(flip);
          flip = setInterval(() => { shot = (shot + 1) % shots.length; img.src = shots[shot]; }, 600);
        });
        link.addEventListener("mouseleave", () => { clearInterval(flip); shot = -1; img.src = v.poster_url; });
      }
    }
    link.append(img);
    const meta = document.createElement("div");
    meta.className = "meta";
    const title = document.createElement("a");
    title.className = "title"; title.href = v.watch_url; title.textContent = v.video_name;
    const line = document.createElement("div");
    line.className = "muted";
    const status = document.createElement("span");
    // While processing: "waiting" for a packager, or "packaging".
    const phase = v.status === "processing" && v.phase ? v.phase : null;
    status.className = "status " + v.status + (phase ? " " + phase : "");
    status.textContent = phase || v.status;
    line.append(status, " " + clock(v.duration_s) + " · " + v.owner);
    const facts = document.createElement("div");
    facts.className = "muted facts";
    facts.append(when(v.created_at));
    if (v.size_bytes != null) {
      const bytes = document.createElement("span");
      bytes.className = "size"; bytes.textContent = size(v.size_bytes);
      facts.append(" · ", bytes);
    }
    meta.append(title, line, facts);
    if (v.visibility === "private") {  // only its owner and admins see it listed at all
      const badge = document.createElement("span");
      badge.className = "badge private"; badge.textContent = "Private"; badge.title = "Only its owner and admins can watch it";
      title.after(badge);
    }
    const pending = (v.renditions || []).filter((r) => r.status === "pending").map((r) => r.height + "p");
    const failed = (v.renditions || []).filter((r) => r.status === "failed");
    if (v.status === "ready" && pending.length) {
      const more = document.createElement("div");
      more.className = "muted renditions"; more.textContent = "Preparing " + pending.join(", ") + "…";
      meta.append(more);
    }
    if (v.status === "ready" && failed.length) {
      const e = document.createElement("div");
      e.className = "error renditions-failed";
      e.textContent = failed.map((r) => r.height + "p failed" + (r.error ? ": " + r.error : "")).join("; ");
      meta.append(e);
    }
    if (v.status === "failed" && v.error) {
      const e = document.createElement("div"); e.className = "error"; e.textContent = v.error; meta.append(e);
    }
    if (v.owner === me || admin) {
      const actions = document.createElement("div");
      actions.className = "actions";
      actions.append(button("Rename", "secondary rename", () => renameInPlace(v, title, actions)));
      actions.append(button("Delete", "danger delete", async () => {
        try { await api("DELETE", "/api/videos/" + v.id); trashed(v); load(); }
        catch (err) { message.textContent = err.message; message.className = "error"; }
      }));
      if (v.status === "failed" || (v.status === "ready" && failed.length)) {
        actions.append(button("Retry", "secondary retry", async () => {
          try { await api("POST", "/api/videos/" + v.id + "/retry"); load(); }
          catch (err) { message.textContent = err.message; message.className = "error"; }
        }));
      }
      meta.append(actions);
    }
    li.append(link, meta);
    return li;
  }
  // What the page says when it lists nothing: why, and what to do about it.
  function explain(data) {
    empty.hidden = !(data.total === 0 && !q.value);
    message.className = "muted";
    message.replaceChildren();
    if (data.total === 0 && q.value) {
      message.append("No video matches “" + q.value + "”. ");
      message.append(button("Clear the search", "link clear-search", () => { q.value = ""; page = 1; remember(true); load(); }));
    } else if (data.total > 0 && !data.videos.length) {
      message.append("Page " + page + " is past the end. ");
      message.append(button("Go to the first page", "link first-page", () => { page = 1; remember(true); load(); }));
    }
  }
  async function load() {
    clearTimeout(timer);
    const params = new URLSearchParams({ per_page: "24", page: String(page), sort: sort.value });
    if (q.value) params.set("q", q.value);
    try {
      const data = await api("GET", "/api/videos?" + params);
      grid.replaceChildren(...data.videos.map(tile));
      explain(data);
      pager.hidden = data.pages <= 1;  // no pager for one page, nor for none
      info.textContent = data.pages > 1 ? "Page " + data.page + " of " + data.pages : "";
      prev.disabled = page <= 1;
      next.disabled = page >= data.pages;
      const busy = (v) => v.status === "processing" || (v.renditions || []).some((r) => r.status === "pending");
      if (data.videos.some(busy)) timer = setTimeout(load, 2000);
    } catch (err) {
      message.textContent = err.message; message.className = "error";
      timer = setTimeout(load, 5000);
    }
  }
  let debounce = null;
  q.addEventListener("input", () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => { page = 1; remember(false); load(); }, 250);
  });
  document.getElementById("search-form").addEventListener("submit", (e) => {
    e.preventDefault(); clearTimeout(debounce); page = 1; remember(true); load();
  });
  sort.addEventListener("change", () => { page = 1; remember(true); load(); });
  prev.addEventListener("click", () => { if (page > 1) { page--; remember(true); load(); } });
  next.addEventListener("click", () => { page++; remember(true); load(); });
  window.addEventListener("popstate", () => { readAddress(); load(); });
  readAddress();
  load();
})();
