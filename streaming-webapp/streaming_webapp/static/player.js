// The player: hls.js where Media Source is supported, the browser's own HLS otherwise.
// Quality menu with Auto, keyboard shortcuts, remembered position, poster before play;
// renditions that land while it is open are taken in without a reload.
(function () {
  "use strict";
  const video = document.getElementById("video");
  if (!video) return;
  const src = video.dataset.src;
  const key = "reelhouse:pos:" + video.dataset.id;
  const select = document.getElementById("quality");
  const current = document.getElementById("current-level");
  const message = document.getElementById("player-message");
  let hls = null;

  function restore() {
    const saved = parseFloat(localStorage.getItem(key) || "0");
    if (saved > 1 && isFinite(video.duration) && saved < video.duration - 2) video.currentTime = saved;
  }
  function heightOf(l) { return Math.min(l.height, l.width) || l.height; }

  // hls.js: (re)started at `at` seconds, playing again if it was; a manual quality choice
  // is kept by its height across a restart.
  let wanted = -1;  // the height chosen in the menu, -1 for Auto
  function attach(at, resume) {
    hls = new window.Hls({ capLevelToPlayerSize: true, maxBufferLength: 30, startPosition: at });
    window.__hls = hls;
    hls.loadSource(src);
    hls.attachMedia(video);
    hls.on(window.Hls.Events.MANIFEST_PARSED, (_e, data) => {
      select.replaceChildren(new Option("Auto", "-1"));
      data.levels
        .map((l, i) => ({ i, h: heightOf(l) }))
        .sort((a, b) => b.h - a.h)
        .forEach(({ i, h }) => select.append(new Option(h + "p", String(i))));
      const keep = data.levels.findIndex((l) => heightOf(l) === wanted);
      if (keep >= 0) { hls.currentLevel = keep; select.value = String(keep); }
      if (resume) video.play().catch(() => {});
    });
    hls.on(window.Hls.Events.LEVEL_SWITCHED, (_e, data) => {
      const l = hls.levels[data.level];
      if (l) current.textContent = "Playing " + heightOf(l) + "p" + (hls.autoLevelEnabled ? " (auto)" : "");
    });
    hls.on(window.Hls.Events.ERROR, (_e, data) => {
      if (!data.fatal) return;
      window.__hlsFatal = data.type + ":" + data.details;
      if (data.type === window.Hls.ErrorTypes.NETWORK_ERROR) {
        message.textContent = "Network problem; retrying…";
        hls.startLoad();
      } else if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR) {
        hls.recoverMediaError();
      } else {
        message.textContent = "This video cannot be played (" + data.details + ").";
      }
    });
  }
  const native = !(window.Hls && window.Hls.isSupported()) && video.canPlayType("application/vnd.apple.mpegurl");
  if (window.Hls && window.Hls.isSupported()) {
    attach(-1, false);
    select.addEventListener("change", () => {
      const i = parseInt(select.value, 10);
      wanted = i >= 0 && hls.levels[i] ? heightOf(hls.levels[i]) : -1;
      hls.currentLevel = i;
    });
  } else if (native) {
    video.src = src;
    select.disabled = true;
  } else {
    message.textContent = "This browser cannot play HLS video.";
  }

  // Renditions still being made: when one lands, the player takes the new master in,
  // where it is, without a reload of the page.
  let ready = parseInt(video.dataset.ready || "0", 10);
  async function watchRenditions() {
    let v = null;
    try {
      const r = await fetch("/api/videos/" + video.dataset.id, { headers: { Accept: "application/json" } });
      if (r.ok) v = await r.json();
    } catch (_err) { /* offline for a moment: try again later */ }
    if (!v) { setTimeout(watchRenditions, 10000); return; }
    const now = v.renditions.filter((r) => r.status === "ready").length;
    if (now > ready) {
      ready = now;
      const at = video.currentTime, resume = !video.paused;
      if (hls) { hls.destroy(); attach(at, resume); }
      else if (native) {
        video.src = src;
        video.addEventListener("loadedmetadata", () => { video.currentTime = at; if (resume) video.play().catch(() => {}); }, { once: true });
      }
    }
    if (v.renditions.some((r) => r.status === "pending")) setTimeout(watchRenditions, 3000);
  }
  if (video.dataset.pending === "1") setTimeout(watchRenditions, 3000);
  video.addEventListener("loadedmetadata", restore, { once: true });
  let last = 0;
  video.addEventListener("timeupdate", () => {
    if (Math.abs(video.currentTime - last) >= 2) { last = video.currentTime; localStorage.setItem(key, String(last)); }
  });
  function save() { if (video.currentTime > 1) localStorage.setItem(key, String(video.currentTime)); }
  video.addEventListener("pause", save);
  window.addEventListener("pagehide", save);
  video.addEventListener("ended", () => localStorage.removeItem(key));
  document.addEventListener("keydown", (e) => {
    if (e.target.closest("input, select, textarea") || e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key;
    if (k === " " || k === "k") { e.preventDefault(); if (video.paused) video.play(); else video.pause(); }
    else if (k === "ArrowRight") { video.currentTime = Math.min(video.duration || 0, video.currentTime + 5); }
    else if (k === "ArrowLeft") { video.currentTime = Math.max(0, video.currentTime - 5); }
    else if (k === "ArrowUp") { e.preventDefault(); video.volume = Math.min(1, video.volume + 0.1); }
    else if (k === "ArrowDown") { e.preventDefault(); video.volume = Math.max(0, video.volume - 0.1); }
    else if (k === "j" || k === "l") { video.currentTime = Math.max(0, Math.min(video.duration || 0, video.currentTime + (k === "l" ? 10 : -10))); }
    else if (/^[0-9]$/.test(k) && isFinite(video.duration)) { video.currentTime = video.duration * parseInt(k, 10) / 10; }
    else if (k === "m") { video.muted = !video.muted; }
    else if (k === "f") { if (document.fullscreenElement) document.exitFullscreen(); else video.requestFullscreen(); }
  });
})();
