// The player: hls.js where Media Source is supported, the browser's own HLS otherwise.
// Quality menu with Auto, keyboard shortcuts, remembered position, poster before play.
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
  if (window.Hls && window.Hls.isSupported()) {
    hls = new window.Hls({ capLevelToPlayerSize: true, maxBufferLength: 30 });
    window.__hls = hls;
    hls.loadSource(src);
    hls.attachMedia(video);
    hls.on(window.Hls.Events.MANIFEST_PARSED, (_e, data) => {
      data.levels
        .map((l, i) => ({ i, h: Math.min(l.height, l.width) || l.height }))
        .sort((a, b) => b.h - a.h)
        .forEach(({ i, h }) => {
          const o = document.createElement("option");
          o.value = String(i); o.textContent = h + "p";
          select.append(o);
        });
    });
    hls.on(window.Hls.Events.LEVEL_SWITCHED, (_e, data) => {
      const l = hls.levels[data.level];
      if (l) current.textContent = "Playing " + (Math.min(l.height, l.width) || l.height) + "p" + (hls.autoLevelEnabled ? " (auto)" : "");
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
    select.addEventListener("change", () => { hls.currentLevel = parseInt(select.value, 10); });
  } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
    video.src = src;
    select.disabled = true;
  } else {
    message.textContent = "This browser cannot play HLS video.";
  }
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
