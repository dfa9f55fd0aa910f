"""The media layer: everything file-svc and the packager do with ffmpeg and ffprobe.

- `budget`: the limits of hostile media (pixels, memory, threads, output), a frozen
  value built from the settings and passed to whatever runs a tool;
- `runner`: the one place ffmpeg and ffprobe are started, within a budget (at a nice
  level, stopped by a cancel event, or once their output passes a size);
- `errors`: what goes wrong, in words of ours (never ffmpeg's text, paths or versions);
- `probe`: what an upload is, by content (refusals of what is not a playable video);
- `planning`: which renditions a source gets, and which one is copied;
- `encoding`: the ffmpeg runs that make them (remux, transcode), the pictures (poster,
  thumbnails) and the subtitle streams as WebVTT;
- `playlists`: the text of playlists (master, caption tracks) and what is read back
  from a rendition's (segment boundaries, its files in publishing order).

Where later work goes: tone-mapping HDR sources is a decision in `planning` (from what
`probe` reads of the stream's colour) and a filter in `encoding._video_filters`; the
audio a transcription reads is an ffmpeg run of its own in `encoding` (or a module
beside it), started through `runner` like every other.
"""
