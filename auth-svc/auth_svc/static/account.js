// The account page: each form calls its /api/me route with JSON and says what happened.
// The page itself is drawn by the server; after a change that alters a list it is drawn
// again (a reload), except where a secret is shown once (a new token, recovery codes):
// then the reload waits for the "Done" button.
(function () {
  "use strict";

  async function api(method, url, body) {
    const opts = { method, headers: { Accept: "application/json" } };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    const r = await fetch(url, opts);
    if (r.status === 401) { location.reload(); throw new Error("Your session has ended; log in again."); }
    if (r.status === 204) return null;
    const data = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(data.message || "Request failed (HTTP " + r.status + ")");
    return data;
  }
  function say(id, text, ok) {
    const el = document.getElementById(id);
    if (!el) return;
    el.textContent = text;
    el.className = "form-status " + (ok ? "ok" : "error");
  }
  // Run `work` on submit (or click), with the control disabled meanwhile; a failure is
  // shown in the status element `statusId`.
  function handle(el, event, statusId, work) {
    if (!el) return;
    el.addEventListener(event, async (e) => {
      e.preventDefault();
      const control = el.tagName === "FORM" ? el.querySelector("button[type=submit]") : el;
      control.disabled = true;
      say(statusId, "", true);
      try {
        await work(e);
      } catch (err) {
        say(statusId, err.message, false);
      } finally {
        control.disabled = false;
      }
    });
  }

  // -- password
  const pw = document.getElementById("password-form");
  handle(pw, "submit", "password-status", async () => {
    await api("POST", "/api/me/password", {
      current_password: pw.elements.current_password.value,
      new_password: pw.elements.new_password.value,
    });
    pw.reset();
    document.querySelectorAll("#sessions tr[data-session-id]:not([data-current])").forEach((tr) => tr.remove());
    say("password-status", "Password changed; your other sessions are logged out.", true);
  });

  // -- sessions
  document.querySelectorAll(".revoke-session").forEach((b) => {
    handle(b, "click", "sessions-status", async () => {
      await api("DELETE", "/api/me/sessions/" + encodeURIComponent(b.dataset.id));
      location.reload();  // this session too: then the login page
    });
  });
  handle(document.getElementById("revoke-others"), "click", "sessions-status", async () => {
    await api("DELETE", "/api/me/sessions");
    document.querySelectorAll("#sessions tr[data-session-id]:not([data-current])").forEach((tr) => tr.remove());
    say("sessions-status", "Your other sessions are logged out.", true);
  });

  // -- second factor
  handle(document.getElementById("totp-start"), "click", "totp-status", async () => {
    const setup = await api("POST", "/api/me/totp");
    document.getElementById("totp-qr").src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(setup.qr_svg);
    document.getElementById("totp-secret").textContent = setup.secret;
    document.getElementById("totp-setup").hidden = false;
    document.getElementById("totp-start").hidden = true;
    document.getElementById("totp-code").focus();
  });
  const confirm = document.getElementById("totp-confirm");
  handle(confirm, "submit", "totp-confirm-status", async () => {
    const done = await api("POST", "/api/me/totp/confirm", { code: confirm.elements.code.value.trim() });
    const list = document.getElementById("recovery-codes");
    list.replaceChildren(...done.recovery_codes.map((c) => {
      const li = document.createElement("li");
      const code = document.createElement("code");
      code.textContent = c;
      li.append(code);
      return li;
    }));
    document.getElementById("totp-setup").hidden = true;
    document.getElementById("recovery").hidden = false;
  });
  const recoveryDone = document.getElementById("recovery-done");
  if (recoveryDone) recoveryDone.addEventListener("click", () => location.reload());
  const disable = document.getElementById("totp-disable");
  handle(disable, "submit", "totp-disable-status", async () => {
    await api("DELETE", "/api/me/totp", { code: disable.elements.code.value.trim() });
    location.reload();
  });

  // -- API tokens
  const tokenForm = document.getElementById("token-form");
  handle(tokenForm, "submit", "token-status", async () => {
    const scopes = [...tokenForm.querySelectorAll("input[name=scope]:checked")].map((c) => c.value);
    if (!scopes.length) throw new Error("Choose at least one scope.");
    const body = { name: tokenForm.elements.name.value, scopes };
    if (tokenForm.elements.expires_at.value) body.expires_at = tokenForm.elements.expires_at.value;
    const made = await api("POST", "/api/me/tokens", body);
    document.getElementById("new-token-value").value = made.token;
    tokenForm.hidden = true;
    document.getElementById("new-token").hidden = false;
    document.getElementById("new-token-value").select();
  });
  const copy = document.getElementById("copy-token");
  if (copy) copy.addEventListener("click", async () => {
    const field = document.getElementById("new-token-value");
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
      copy.textContent = "Copied";
    } catch (err) {
      copy.textContent = "Press Ctrl+C to copy";  // no clipboard access (not a secure origin)
    }
  });
  const tokenDone = document.getElementById("token-done");
  if (tokenDone) tokenDone.addEventListener("click", () => location.reload());
  document.querySelectorAll(".revoke-token").forEach((b) => {
    handle(b, "click", "token-status", async () => {
      await api("DELETE", "/api/me/tokens/" + encodeURIComponent(b.dataset.id));
      b.closest("tr").remove();
      say("token-status", "Token revoked.", true);
    });
  });
})();
