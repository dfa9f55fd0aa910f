// The player: hls.js where Media Source is supported, the browser's own HLS otherwise.
// Quality (Auto or a height), speed, captions, keyboard shortcuts, remembered position,
// the poster while it waits for a press of play;
// quality, speed, volume and the captions choice are remembered per browser. Renditions
// that land while it is open are taken in without a reload.
(function () {
  "use strict";
  const video = document.getElementById("video");
  if (!video) return;
  const src = video.dataset.src;
  const posKey = "reelhouse:pos:" + video.dataset.id;
  const prefsKey = "reelhouse:player";
  const select = document.getElementById("quality");
  const speed = document.getElementById("speed");
  const captions = document.getElementById("captions");
  const captionsControl = document.getElementById("captions-control");
  const current = document.getElementById("current-level");
  const message = document.getElementById("player-message");
  const RATES = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2];
  const BUFFER = 30, START_BUFFER = 1;  // seconds of video hls.js fetches ahead
  let hls = null;
  // localStorage, where the browser allows it: a third-party frame (an embed) may be
  // denied storage, and the player plays all the same, remembering nothing.
  const store = {
    get(key) { try { return localStorage.getItem(key); } catch (_err) { return null; } },
    set(key, value) { try { localStorage.setItem(key, value); } catch (_err) { /* denied or full */ } },
    remove(key) { try { localStorage.removeItem(key); } catch (_err) { /* denied */ } },
  };

  // -- what this browser chose before: {quality: height or -1, speed, volume, muted, captions: language or "off"}
  function loadPrefs() {
    try {
      const p = JSON.parse(store.get(prefsKey) || "{}");
      return p && typeof p === "object" ? p : {};
    } catch (_err) { return {}; }
  }
  const prefs = loadPrefs();
  function savePref(name, value) {
    prefs[name] = value;
    store.set(prefsKey, JSON.stringify(prefs));
  }

  // Speed and volume apply at once, before anything loads.
  function setRate(rate) {
    video.defaultPlaybackRate = rate;  // kept when hls.js re-attaches (load() resets playbackRate)
    video.playbackRate = rate;
  }
  if (RATES.includes(prefs.speed)) { setRate(prefs.speed); speed.value = String(prefs.speed); }
  if (typeof prefs.volume === "number" && prefs.volume >= 0 && prefs.volume <= 1) video.volume = prefs.volume;
  if (typeof prefs.muted === "boolean") video.muted = prefs.muted;
  speed.addEventListener("change", () => setRate(parseFloat(speed.value)));
  video.addEventListener("ratechange", () => {
    const rate = video.playbackRate;
    if (!RATES.includes(rate)) return;
    if (video.defaultPlaybackRate !== rate) video.defaultPlaybackRate = rate;
    speed.value = String(rate);
    savePref("speed", rate);
  });
  video.addEventListener("volumechange", () => { savePref("volume", video.volume); savePref("muted", video.muted); });

  // Where this video was left (per video), if it is not near either end.
  function savedPosition() {
    const saved = parseFloat(store.get(posKey) || "0");
    const duration = parseFloat(video.dataset.duration || "NaN");
    return saved > 1 && isFinite(duration) && saved < duration - 2 ? saved : -1;
  }
  function heightOf(l) { return Math.min(l.height, l.width) || l.height; }

  // -- captions menu: Off and the master's subtitle tracks, by language
  let tracks = [];  // [{language, label, default}] as the menu lists them
  function fillCaptions(list) {
    tracks = list;
    captions.replaceChildren(new Option("Off", "off"));
    list.forEach((t, i) => captions.append(new Option(t.label || t.language, String(i))));
    captionsControl.hidden = list.length === 0;
  }
  // The track to show: the one chosen before (its language), "off" if that was the
  // choice, else the one marked DEFAULT, else none.
  function captionsChoice() {
    if (prefs.captions === "off") return -1;
    const mine = tracks.findIndex((t) => t.language === prefs.captions);
    if (mine >= 0) return mine;
    return tracks.findIndex((t) => t.default);
  }

  // On a share link's page, a file answered 404 (revoked, unknown, video deleted) or 410
  // (expired): the link may have ended while it was open. hls.js takes a segment's 404 as
  // a missing file and keeps trying other ones (never fatal), so the link itself is asked
  // (its master playlist, once at a time): if it is refused too, the player stops for good.
  let linkOver = false, linkAsked = false;
  function linkRefused(data) {
    const code = data.response && data.response.code;
    return video.dataset.shared === "1" && data.type === window.Hls.ErrorTypes.NETWORK_ERROR && (code === 404 || code === 410);
  }
  async function askLink(thenRetry) {
    if (linkOver || linkAsked) return;
    linkAsked = true;
    let status = 0;
    try { status = (await fetch(src, { cache: "no-store" })).status; } catch (_err) { /* offline: not ended */ }
    linkAsked = false;
    if (status === 404 || status === 410) {
      linkOver = true;
      if (hls) hls.stopLoad();
      video.pause();
      message.textContent = "This link has been revoked or has expired.";
      message.dataset.ended = "1";
    } else if (thenRetry && hls) {
      hls.startLoad();
    }
  }

  // -- hls.js: (re)started at `at` seconds (-1: the start), playing again if it was; a
  // quality chosen in the menu is kept by its height across a restart and a reload.
  let wanted = typeof prefs.quality === "number" ? prefs.quality : -1;  // a height, -1 for Auto
  function attach(at, resume) {
    hls = new window.Hls({
      capLevelToPlayerSize: true,
      // One segment until it plays: the next one would be transmuxed on this thread while
      // the first frame is being shown (and nothing more is fetched before a press of play).
      maxBufferLength: video.paused ? START_BUFFER : BUFFER,
      startPosition: at,
      // Transmuxed on this thread: a worker starts cold and costs its first segment about
      // 80 ms more (BENCHMARKS.md, time to first frame).
      enableWorker: false,
    });
    window.__hls = hls;
    const E = window.Hls.Events;
    let levelLoaded = false, fragAsked = false;
    hls.on(E.MANIFEST_PARSED, (_e, data) => {
      select.replaceChildren(new Option("Auto", "-1"));
      data.levels
        .map((l, i) => ({ i, h: heightOf(l) }))
        .sort((a, b) => b.h - a.h)
        .forEach(({ i, h }) => select.append(new Option(h + "p", String(i))));
      const keep = data.levels.findIndex((l) => heightOf(l) === wanted);
      if (keep >= 0) {
        hls.startLevel = keep;
        hls.currentLevel = keep;
        select.value = String(keep);
      } else {
        // Auto starts on the smallest rendition (the page preloaded its first segment).
        let smallest = -1;
        data.levels.forEach((l, i) => { if (smallest < 0 || heightOf(l) < heightOf(data.levels[smallest])) smallest = i; });
        if (smallest >= 0) hls.startLevel = smallest;
      }
      if (resume) video.play().catch(() => {});
    });
    // hls.js asks for the first segment on its next 100 ms tick when the media playlist
    // came before the MediaSource opened: ask at once instead.
    hls.on(E.LEVEL_LOADED, () => { levelLoaded = true; });
    hls.on(E.FRAG_LOADING, () => { fragAsked = true; });
    hls.on(E.MEDIA_ATTACHED, () => { if (levelLoaded && !fragAsked) hls.startLoad(at); });
    hls.on(E.LEVEL_SWITCHED, (_e, data) => {
      const l = hls.levels[data.level];
      if (l) current.textContent = "Playing " + heightOf(l) + "p" + (hls.autoLevelEnabled ? " (auto)" : "");
    });
    hls.on(E.SUBTITLE_TRACKS_UPDATED, (_e, data) => {
      fillCaptions(data.subtitleTracks.map((t) => ({ language: t.lang || "und", label: t.name, default: !!t.default })));
      const i = captionsChoice();
      hls.subtitleDisplay = i >= 0;
      hls.subtitleTrack = i;
      captions.value = i >= 0 ? String(i) : "off";
    });
    hls.on(E.ERROR, (_e, data) => {
      if (linkOver) return;
      const refused = linkRefused(data);
      if (refused) askLink(data.fatal);
      if (!data.fatal) return;
      window.__hlsFatal = data.type + ":" + data.details;
      if (refused) {
        message.textContent = "Checking the link…";  // askLink retries if it still stands
      } else if (data.type === window.Hls.ErrorTypes.NETWORK_ERROR) {
        message.textContent = "Network problem; retrying…";
        hls.startLoad();
      } else if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR) {
        hls.recoverMediaError();
      } else {
        message.textContent = "This video cannot be played (" + data.details + ").";
      }
    });
    hls.loadSource(src);
    hls.attachMedia(video);
  }

  // The browser's own HLS (Safari): its text tracks are the master's subtitle tracks.
  function nativeCaptions() {
    const list = Array.from(video.textTracks).filter((t) => t.kind === "subtitles" || t.kind === "captions");
    fillCaptions(list.map((t) => ({ language: t.language || "und", label: t.label, default: t.mode === "showing" })));
    const i = captionsChoice();
    list.forEach((t, k) => { t.mode = k === i ? "showing" : "disabled"; });
    captions.value = i >= 0 ? String(i) : "off";
  }
  function chooseCaptions(i) {
    if (hls) {
      hls.subtitleDisplay = i >= 0;
      hls.subtitleTrack = i;
    } else {
      Array.from(video.textTracks)
        .filter((t) => t.kind === "subtitles" || t.kind === "captions")
        .forEach((t, k) => { t.mode = k === i ? "showing" : "disabled"; });
    }
    captions.value = i >= 0 ? String(i) : "off";
    savePref("captions", i >= 0 ? tracks[i].language : "off");
  }
  captions.addEventListener("change", () => chooseCaptions(captions.value === "off" ? -1 : parseInt(captions.value, 10)));

  video.addEventListener("playing", () => { if (hls) hls.config.maxBufferLength = BUFFER; });

  // The poster is for a player that waits for a press of play: set once the first frame
  // is there (or after a second without it), not asked for beside the first frame's
  // requests, where it cost about 45 ms (BENCHMARKS.md); a player already playing needs none.
  function posterIfIdle() {
    if (!video.poster && video.dataset.poster && video.paused && video.currentTime < 0.1) video.poster = video.dataset.poster;
  }

  const supported = window.Hls && window.Hls.isSupported();
  const native = !supported && video.canPlayType("application/vnd.apple.mpegurl");
  if (supported) {
    video.addEventListener("loadeddata", posterIfIdle, { once: true });
    setTimeout(posterIfIdle, 1000);
    attach(savedPosition(), false);
    select.addEventListener("change", () => {
      const i = parseInt(select.value, 10);
      wanted = i >= 0 && hls.levels[i] ? heightOf(hls.levels[i]) : -1;
      hls.currentLevel = i;
      savePref("quality", wanted);
    });
  } else if (native) {
    posterIfIdle();
    video.src = src;
    select.disabled = true;
    video.addEventListener("loadedmetadata", () => {
      const at = savedPosition();
      if (at > 0) video.currentTime = at;
      nativeCaptions();
    }, { once: true });
    video.textTracks.addEventListener("addtrack", nativeCaptions);
  } else {
    posterIfIdle();
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
  let last = 0;
  video.addEventListener("timeupdate", () => {
    if (Math.abs(video.currentTime - last) >= 2) { last = video.currentTime; store.set(posKey, String(last)); }
  });
  function save() { if (video.currentTime > 1) store.set(posKey, String(video.currentTime)); }
  video.addEventListener("pause", save);
  window.addEventListener("pagehide", save);
  video.addEventListener("ended", () => store.remove(posKey));
  function stepRate(dir) {
    const i = RATES.indexOf(video.playbackRate);
    const next = RATES[Math.max(0, Math.min(RATES.length - 1, (i < 0 ? RATES.indexOf(1) : i) + dir))];
    setRate(next);
  }
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
    else if (k === "<" || k === ">") { stepRate(k === ">" ? 1 : -1); }
    else if (k === "c" && tracks.length) {
      const on = captions.value !== "off";
      chooseCaptions(on ? -1 : Math.max(0, tracks.findIndex((t) => t.language === prefs.captions)));
    }
    else if (k === "f") { if (document.fullscreenElement) document.exitFullscreen(); else video.requestFullscreen(); }
  });
})();
