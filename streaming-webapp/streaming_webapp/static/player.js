// The player: hls.js where Media Source is supported, the browser's own HLS otherwise.
// Its own controls inside the container that goes full screen (play, seek, time,
// volume, captions, quality, speed, full screen: menus of buttons, so they stay at hand
// in full screen), one keyboard handler, remembered position, the poster while it waits
// for a press of play;
// quality, speed, volume and the captions choice are remembered per browser. Renditions
// that land while it is open, and caption tracks the owner changes on the video page
// (owner.js says so with a "reelhouse:captions" event), are taken in without a reload.
(function () {
  "use strict";
  const video = document.getElementById("video");
  if (!video) return;
  const src = video.dataset.src;
  const posKey = "reelhouse:pos:" + video.dataset.id;
  const prefsKey = "reelhouse:player";
  const box = document.getElementById("player");
  const captionsControl = document.getElementById("captions-control");
  const current = document.getElementById("current-level");
  // The quality button shows the level playing ("Auto 720p"); its name must hold that
  // visible text (WCAG 2.5.3, label in name): both change together, here and in set().
  const showLevel = (text) => {
    current.textContent = text;
    const button = document.getElementById("quality-button");
    if (button) button.setAttribute("aria-label", "Quality: " + text);
  };
  const message = document.getElementById("player-message") || document.createElement("p");
  const status = document.getElementById("player-status");
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

  // Something for a screen reader to say (the polite live region): a state just changed.
  function announce(text) { status.textContent = text; }

  // -- a menu: its button (aria-expanded) opens a list of menuitemradio buttons, one
  // checked. `choose(value)` is called with the item's data-value when one is picked;
  // `set(value)` only shows a value as the chosen one.
  const menus = [];
  function menu(name, label, choose) {
    const button = document.getElementById(name + "-button");
    const list = document.getElementById(name);
    const m = {
      button, list, value: null,
      items() { return Array.from(list.querySelectorAll("[role=menuitemradio]")); },
      fill(entries) {  // [[value, text]]
        list.replaceChildren(...entries.map(([value, text]) => {
          const b = document.createElement("button");
          b.type = "button";
          b.setAttribute("role", "menuitemradio");
          b.setAttribute("aria-checked", "false");
          b.dataset.value = value;
          b.textContent = text;
          return b;
        }));
        if (m.value !== null) m.set(m.value);
      },
      set(value, shown) {
        m.value = String(value);
        let text = "";
        m.items().forEach((b) => {
          const on = b.dataset.value === m.value;
          b.setAttribute("aria-checked", on ? "true" : "false");
          if (on) text = b.textContent;
        });
        const visible = name === "quality" && current.textContent ? current.textContent : shown || text;
        button.setAttribute("aria-label", label + ": " + visible);
        return text;
      },
      open() {
        menus.forEach((other) => { if (other !== m) other.close(false); });
        list.hidden = false;
        button.setAttribute("aria-expanded", "true");
        (m.items().find((b) => b.getAttribute("aria-checked") === "true") || m.items()[0]).focus();
        showControls();
      },
      close(refocus) {
        if (list.hidden) return;
        list.hidden = true;
        button.setAttribute("aria-expanded", "false");
        if (refocus) button.focus();
      },
    };
    button.addEventListener("click", () => { if (list.hidden) m.open(); else m.close(true); });
    list.addEventListener("click", (e) => {
      const item = e.target.closest("[role=menuitemradio]");
      if (!item) return;
      m.close(true);
      choose(item.dataset.value);
    });
    menus.push(m);
    return m;
  }
  // Arrows, Home, End and Escape inside an open menu (called by the one key handler).
  function menuKey(e, list) {
    const m = menus.find((x) => x.list === list);
    const items = m.items();
    const i = items.indexOf(document.activeElement);
    const k = e.key;
    let next = -1;
    if (k === "ArrowDown") next = (i + 1) % items.length;
    else if (k === "ArrowUp") next = (i - 1 + items.length) % items.length;
    else if (k === "Home") next = 0;
    else if (k === "End") next = items.length - 1;
    else if (k === "Escape" || k === "Tab") { if (k === "Escape") e.preventDefault(); m.close(k === "Escape"); return; }
    else return;  // space and Enter: the item's own click
    e.preventDefault();
    items[next].focus();
  }
  document.addEventListener("click", (e) => {
    menus.forEach((m) => { if (!m.list.hidden && !e.target.closest(".rh-menu")) m.close(false); });
  });

  const speed = menu("speed", "Speed", (v) => { setRate(parseFloat(v)); });
  const select = menu("quality", "Quality", (v) => chooseLevel(parseInt(v, 10)));
  const captions = menu("captions", "Captions", (v) => chooseCaptions(v === "off" ? -1 : parseInt(v, 10)));

  // Speed and volume apply at once, before anything loads.
  function setRate(rate) {
    video.defaultPlaybackRate = rate;  // kept when hls.js re-attaches (load() resets playbackRate)
    video.playbackRate = rate;
  }
  function showRate(rate) { speed.button.firstElementChild.textContent = rate + "×"; speed.set(String(rate)); }
  if (RATES.includes(prefs.speed)) setRate(prefs.speed);
  showRate(RATES.includes(prefs.speed) ? prefs.speed : 1);
  if (typeof prefs.volume === "number" && prefs.volume >= 0 && prefs.volume <= 1) video.volume = prefs.volume;
  if (typeof prefs.muted === "boolean") video.muted = prefs.muted;
  video.addEventListener("ratechange", () => {
    const rate = video.playbackRate;
    if (!RATES.includes(rate)) return;
    if (video.defaultPlaybackRate !== rate) video.defaultPlaybackRate = rate;
    showRate(rate);
    announce("Speed " + rate + "×");
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
    captions.fill([["off", "Off"]].concat(list.map((t, i) => [String(i), t.label || t.language])));
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
  // quality chosen in the menu is kept by its height across a restart and a reload, and
  // Auto restarts at `height` (the one it was playing; none: the smallest).
  let wanted = typeof prefs.quality === "number" ? prefs.quality : -1;  // a height, -1 for Auto
  function attach(at, resume, height) {
    hls = new window.Hls({
      // Auto never fetches more pixels than the player shows; before its first sample it
      // assumes a broadband link (hls.js's own default, 500 kb/s, starts a big player
      // low and leaves it there for seconds).
      capLevelToPlayerSize: true,
      abrEwmaDefaultEstimate: 5e6,
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
      select.fill([["-1", "Auto"]].concat(data.levels
        .map((l, i) => ({ i, h: heightOf(l) }))
        .sort((a, b) => b.h - a.h)
        .map(({ i, h }) => [String(i), h + "p"])));
      const keep = data.levels.findIndex((l) => heightOf(l) === wanted);
      sized = false;
      if (keep >= 0) {
        hls.startLevel = keep;
        hls.currentLevel = keep;
        select.set(String(keep));
        showLevel(heightOf(data.levels[keep]) + "p");
      } else {
        select.set("-1");
        // Auto starts on the smallest rendition (the page preloaded its first segment);
        // restarted, at the height it was playing (no step down to the smallest).
        const was = data.levels.findIndex((l) => heightOf(l) === height);
        let smallest = -1;
        data.levels.forEach((l, i) => { if (smallest < 0 || heightOf(l) < heightOf(data.levels[smallest])) smallest = i; });
        if (was >= 0) hls.startLevel = was;
        else if (smallest >= 0) hls.startLevel = smallest;
      }
      // No subtitle group (the last track removed): hls.js says nothing of tracks then.
      if (!(data.subtitleTracks || []).length && tracks.length) { fillCaptions([]); captions.set("off"); }
      if (resume) video.play().catch(() => {});
    });
    // hls.js asks for the first segment on its next 100 ms tick when the media playlist
    // came before the MediaSource opened: ask at once instead.
    hls.on(E.LEVEL_LOADED, () => { levelLoaded = true; });
    hls.on(E.FRAG_LOADING, () => { fragAsked = true; });
    hls.on(E.MEDIA_ATTACHED, () => { if (levelLoaded && !fragAsked) hls.startLoad(at); });
    hls.on(E.LEVEL_SWITCHED, (_e, data) => {
      const l = hls.levels[data.level];
      if (!l) return;
      const auto = hls.autoLevelEnabled;
      showLevel((auto ? "Auto " : "") + heightOf(l) + "p");
      select.set(auto ? "-1" : String(data.level), auto ? "Auto, playing " + heightOf(l) + "p" : "");
    });
    hls.on(E.SUBTITLE_TRACKS_UPDATED, (_e, data) => {
      fillCaptions(data.subtitleTracks.map((t) => ({ language: t.lang || "und", label: t.name, default: !!t.default })));
      const i = captionsChoice();
      hls.subtitleDisplay = i >= 0;
      hls.subtitleTrack = i;
      captions.set(i >= 0 ? String(i) : "off");
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
    captions.set(i >= 0 ? String(i) : "off");
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
    announce("Captions " + captions.set(i >= 0 ? String(i) : "off"));
    savePref("captions", i >= 0 ? tracks[i].language : "off");
  }

  // Auto's first segment is the smallest rendition's (preloaded: the first frame comes
  // soonest); once it plays, the next segment is at the size the player shows, if the
  // link measured so far carries it, so Auto is there after one segment.
  let sized = false;
  function suitedLevel() {
    const want = box.clientHeight * (window.devicePixelRatio || 1) * 0.9;
    const bw = hls.bandwidthEstimate || 0;
    const carried = hls.levels.map((l, i) => ({ i, h: heightOf(l), b: l.bitrate }))
      .filter((l) => !bw || l.b <= bw * 0.8).sort((a, b) => a.h - b.h);
    if (!carried.length) return -1;
    const fit = carried.find((l) => l.h >= want);
    return (fit || carried[carried.length - 1]).i;
  }
  video.addEventListener("playing", () => {
    if (!hls) return;
    hls.config.maxBufferLength = BUFFER;
    if (sized || !hls.autoLevelEnabled) return;
    sized = true;
    const i = suitedLevel();
    if (i >= 0 && heightOf(hls.levels[i]) > heightOf(hls.levels[hls.currentLevel] || hls.levels[i])) hls.nextAutoLevel = i;
  });
  function chooseLevel(i) {
    if (!hls) return;
    wanted = i >= 0 && hls.levels[i] ? heightOf(hls.levels[i]) : -1;
    hls.currentLevel = i;
    select.set(String(i));
    if (i < 0) showLevel("Auto");
    announce("Quality " + (i >= 0 ? wanted + "p" : "Auto"));
    savePref("quality", wanted);
  }

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
  } else if (native) {
    posterIfIdle();
    video.src = src;
    select.button.parentElement.hidden = true;  // the browser chooses
    video.addEventListener("loadedmetadata", () => {
      const at = savedPosition();
      if (at > 0) video.currentTime = at;
      nativeCaptions();
    }, { once: true });
    video.textTracks.addEventListener("addtrack", nativeCaptions);
    video.textTracks.addEventListener("removetrack", nativeCaptions);
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
      reloadMaster();
    }
    if (v.renditions.some((r) => r.status === "pending")) setTimeout(watchRenditions, 3000);
  }
  if (video.dataset.pending === "1") setTimeout(watchRenditions, 3000);
  // The master playlist again (it names the renditions and the caption tracks), where the
  // player is: hls.js reads it only when it starts, so it is started again at the same
  // time, playing if it was, at the same quality; the browser's own HLS is given the
  // source again (its text tracks go and come: removetrack, addtrack).
  function reloadMaster() {
    const at = video.currentTime, resume = !video.paused;
    if (hls) {
      const l = hls.levels[hls.currentLevel];
      hls.destroy();
      attach(at, resume, l ? heightOf(l) : undefined);
    } else if (native) {
      video.src = src;
      video.addEventListener("loadedmetadata", () => { video.currentTime = at; if (resume) video.play().catch(() => {}); }, { once: true });
    }
  }
  // The owner added, replaced or removed a caption track (owner.js, on the video page).
  document.addEventListener("reelhouse:captions", reloadMaster);
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

  // -- the control bar: play, seek, time, volume, full screen; shown while paused, on a
  // pointer move, a tap or a key, hidden 3 s into playing with nothing open or focused.
  const play = document.getElementById("play");
  const mute = document.getElementById("mute");
  const volume = document.getElementById("volume");
  const seek = document.getElementById("seek");
  const time = document.getElementById("time");
  const full = document.getElementById("fullscreen");
  const bar = document.getElementById("player-controls");
  function clock(t) {
    t = Math.max(0, Math.floor(t || 0));
    const h = Math.floor(t / 3600), m = Math.floor(t / 60) % 60, sec = String(t % 60).padStart(2, "0");
    return h ? h + ":" + String(m).padStart(2, "0") + ":" + sec : m + ":" + sec;
  }
  function duration() {
    return isFinite(video.duration) && video.duration > 0 ? video.duration : parseFloat(video.dataset.duration || "0") || 0;
  }
  let hideTimer = 0;
  function showControls() {
    box.dataset.controls = "shown";
    clearTimeout(hideTimer);
    hideTimer = setTimeout(() => {
      if (!video.paused && menus.every((m) => m.list.hidden) && !bar.contains(document.activeElement)) box.dataset.controls = "hidden";
    }, 3000);
  }
  function toggle() { if (video.paused || video.ended) video.play().catch(() => {}); else video.pause(); }
  function showPlaying() {
    const paused = video.paused;
    box.dataset.state = paused ? "paused" : "playing";
    play.setAttribute("aria-label", paused ? "Play" : "Pause");
    play.firstElementChild.textContent = paused ? "▶" : "❚❚";
    showControls();
  }
  video.addEventListener("play", () => { showPlaying(); announce("Playing"); });
  video.addEventListener("pause", () => { showPlaying(); announce("Paused"); });
  play.addEventListener("click", toggle);
  function showTime() {
    const d = duration();
    if (d && String(seek.max) !== String(d)) seek.max = String(d);
    if (!seeking) seek.value = String(video.currentTime);
    time.textContent = clock(video.currentTime) + " / " + clock(d);
    seek.setAttribute("aria-valuetext", clock(video.currentTime) + " of " + clock(d));
  }
  let seeking = false;
  seek.addEventListener("input", () => { seeking = true; video.currentTime = parseFloat(seek.value); showTime(); });
  seek.addEventListener("change", () => { seeking = false; });
  ["timeupdate", "durationchange", "loadedmetadata", "seeked"].forEach((ev) => video.addEventListener(ev, showTime));
  function showVolume() {
    const off = video.muted || video.volume === 0;
    mute.setAttribute("aria-label", off ? "Unmute" : "Mute");
    mute.firstElementChild.textContent = off ? "◀×" : "◀)";
    volume.value = String(video.muted ? 0 : video.volume);
  }
  video.addEventListener("volumechange", showVolume);
  showVolume();
  mute.addEventListener("click", () => { video.muted = !video.muted; announce(video.muted ? "Muted" : "Unmuted"); });
  volume.addEventListener("input", () => { video.volume = parseFloat(volume.value); video.muted = video.volume === 0; });
  // Full screen is the container's (the controls go with it); a browser without the
  // Fullscreen API for elements (iPhone) gets the video's own.
  function toggleFullscreen() {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else if (box.requestFullscreen) box.requestFullscreen().catch(() => {});
    else if (video.webkitEnterFullscreen) video.webkitEnterFullscreen();
  }
  full.addEventListener("click", toggleFullscreen);
  document.addEventListener("fullscreenchange", () => {
    const on = document.fullscreenElement === box;
    full.setAttribute("aria-label", on ? "Exit full screen" : "Full screen");
    announce(on ? "Full screen" : "Left full screen");
    showControls();
  });
  // A click on the video plays or pauses; a tap first brings the controls back if they
  // were hidden; a double click is full screen.
  let touch = false;
  video.addEventListener("pointerdown", (e) => { touch = e.pointerType === "touch"; });
  video.addEventListener("click", () => {
    const hidden = box.dataset.controls === "hidden";
    showControls();
    if (!(touch && hidden)) toggle();
  });
  video.addEventListener("dblclick", toggleFullscreen);
  box.addEventListener("pointermove", showControls);
  box.addEventListener("focusin", showControls);
  showPlaying();
  showTime();

  // -- the one key handler. Keys typed in a form field, and space or Enter on a button
  // (its own click) or arrows on a slider, are theirs; in an open menu the arrows move.
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target instanceof Element ? e.target : document.body;
    const k = e.key;
    const list = t.closest(".rh-list");
    if (list) { menuKey(e, list); return; }
    if (t.closest("input:not([type=range]), select, textarea, [contenteditable]")) return;
    if ((k === " " || k === "Enter") && t.closest("button, a, summary")) return;
    if (t.matches("input[type=range]") && k.startsWith("Arrow")) return;
    if (t !== document.body && t !== video && !box.contains(t) && k.startsWith("Arrow")) return;  // scrolling the page
    let handled = true;
    if (k === " " || k === "k") toggle();
    else if (k === "ArrowRight") video.currentTime = Math.min(duration(), video.currentTime + 5);
    else if (k === "ArrowLeft") video.currentTime = Math.max(0, video.currentTime - 5);
    else if (k === "ArrowUp") { video.muted = false; video.volume = Math.min(1, video.volume + 0.1); }
    else if (k === "ArrowDown") video.volume = Math.max(0, video.volume - 0.1);
    else if (k === "j" || k === "l") video.currentTime = Math.max(0, Math.min(duration(), video.currentTime + (k === "l" ? 10 : -10)));
    else if (/^[0-9]$/.test(k) && duration()) video.currentTime = duration() * parseInt(k, 10) / 10;
    else if (k === "m") { video.muted = !video.muted; announce(video.muted ? "Muted" : "Unmuted"); }
    else if (k === "<" || k === ">") stepRate(k === ">" ? 1 : -1);
    else if (k === "c" && tracks.length) {
      const on = captions.value !== "off";
      chooseCaptions(on ? -1 : Math.max(0, tracks.findIndex((tr) => tr.language === prefs.captions)));
    }
    else if (k === "f") toggleFullscreen();
    else handled = false;
    if (handled) { e.preventDefault(); showControls(); }
  });
})();
