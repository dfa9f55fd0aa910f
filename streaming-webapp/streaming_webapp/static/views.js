// Views: one per page load (a viewer session), counted when playback really starts
// (the video's first `playing` event), not on page load. The page's view ticket (its
// script tag's data-ticket) is posted once to data-url; the server counts a ticket once
// whatever happens here (a retry, a second tab of the same page). Uses no storage, so a
// third-party frame denied storage counts all the same; `keepalive` lets the post finish
// if the viewer leaves right after pressing play.
(function () {
  "use strict";
  const script = document.currentScript;
  const video = document.getElementById("video");
  if (!script || !video || !script.dataset.url || !script.dataset.ticket) return;
  function report() {
    fetch(script.dataset.url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ ticket: script.dataset.ticket }),
      credentials: "same-origin",
      keepalive: true,
    }).catch(function () { /* a lost view is no error for the viewer */ });
  }
  video.addEventListener("playing", report, { once: true });
})();
