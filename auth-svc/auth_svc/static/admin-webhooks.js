// Admins' webhooks page: register an endpoint (its secret shown once), the list with
// delete, and one endpoint's delivery log. Everything goes through /api/webhooks with
// the session cookie; text from the server is set as text, never as HTML.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const form = $("register-form");
  const listBody = $("webhooks").querySelector("tbody");
  const logBody = $("deliveries").querySelector("tbody");
  let shown = null;  // the endpoint whose log is on the page

  function say(el, text) {
    el.textContent = text || "";
    el.hidden = !text;
  }

  async function api(method, path, body) {
    const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const resp = await fetch(path, init);
    if (resp.status === 401) {
      window.location.assign("/login?redirect=" + encodeURIComponent(window.location.href));
      throw new Error("Your session has ended: log in again.");
    }
    const data = resp.status === 204 ? null : await resp.json().catch(() => null);
    if (!resp.ok) throw new Error((data && data.message) || "The server answered " + resp.status + ".");
    return data;
  }

  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "" : String(text);
    row.appendChild(td);
    return td;
  }

  function button(label, cls, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = cls;
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }

  async function loadList() {
    let data;
    try {
      data = await api("GET", "/api/webhooks");
    } catch (e) {
      say($("list-error"), e.message);
      return;
    }
    say($("list-error"), "");
    listBody.replaceChildren();
    $("no-webhooks").hidden = data.webhooks.length > 0;
    for (const w of data.webhooks) {
      const row = document.createElement("tr");
      row.dataset.id = w.id;
      cell(row, w.url);
      cell(row, w.events.join(", "));
      cell(row, new Date(w.created_at).toLocaleString() + " by " + w.created_by);
      const actions = cell(row, "");
      actions.append(
        button("Deliveries", "secondary", () => showLog(w)),
        " ",
        button("Delete", "danger", () => remove(w)),
      );
      listBody.appendChild(row);
    }
  }

  async function remove(w) {
    if (!window.confirm("Delete the endpoint " + w.url + "? Nothing more is sent to it.")) return;
    try {
      await api("DELETE", "/api/webhooks/" + encodeURIComponent(w.id));
    } catch (e) {
      say($("list-error"), e.message);
      return;
    }
    if (shown && shown.id === w.id) {
      shown = null;
      $("log-section").hidden = true;
    }
    loadList();
  }

  async function showLog(w) {
    shown = w;
    $("log-url").textContent = w.url;
    $("log-section").hidden = false;
    let data;
    try {
      data = await api("GET", "/api/webhooks/" + encodeURIComponent(w.id) + "/deliveries");
    } catch (e) {
      say($("list-error"), e.message);
      return;
    }
    logBody.replaceChildren();
    $("no-deliveries").hidden = data.deliveries.length > 0;
    for (const d of data.deliveries) {
      const row = document.createElement("tr");
      row.dataset.outcome = d.outcome;
      cell(row, d.event);
      cell(row, d.attempt);
      cell(row, d.status === null ? "—" : d.status);
      cell(row, new Date(d.at).toLocaleString());
      cell(row, d.error || "");
      cell(row, d.state);
      logBody.appendChild(row);
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    say($("register-error"), "");
    $("secret-box").hidden = true;
    const chosen = Array.from(form.querySelectorAll("input[name=events]:checked")).map((i) => i.value);
    let made;
    try {
      made = await api("POST", "/api/webhooks", { url: $("webhook-url").value, events: chosen });
    } catch (e) {
      say($("register-error"), e.message);
      return;
    }
    $("webhook-secret").textContent = made.secret;
    $("secret-box").hidden = false;
    form.reset();
    loadList();
  });
  $("log-refresh").addEventListener("click", () => shown && showLog(shown));

  loadList();
})();
