"""Where things are, named once: the storage keys of a video's objects, and the paths of
the temp volume (TEMP_DIR, shared by upload-webapp, file-svc and the packager).

Storage keys, all under `videos/<id>/`:
- `original<ext>`: the upload as received (its extension from the probe);
- `hls/master.m3u8`: the master playlist; `hls/<height>p/index.m3u8` and
  `hls/<height>p/seg_00000.ts`...: a rendition's media playlist and segments, `<height>`
  its nominal height (the short side: 360 for 640x360 and for 360x640);
- `hls/captions/<language>.<version>.vtt|m3u8`: a caption track's WebVTT and playlist;
- `poster.jpg`, `thumbs/1.jpg` .. `thumbs/5.jpg`: the poster and the library's thumbnails.
streaming-svc's URLs for them are these keys under its own address.

The temp volume:
- `sources/<id>.part`: an upload to file-svc while its body arrives; `sources/<id><ext>`
  once probed: the packager's source, removed when the video's last job is over;
- `work/<id>-<stage><height>-<attempt>/`: one packaging attempt's folder;
- `uploads/<id>/data`: a resumable (tus) upload's bytes, while upload-webapp receives them.

Ids are checked (vs_common.wire.valid_video_id) before they get here.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from .settings import Settings

# -- storage keys -------------------------------------------------------------------

MASTER_PLAYLIST = "master.m3u8"
MEDIA_PLAYLIST = "index.m3u8"
SEGMENT_FILE_PATTERN = "seg_%05d.ts"  # ffmpeg's hls_segment_filename: seg_00000.ts, seg_00001.ts...
POSTER = "poster.jpg"
THUMBNAILS = tuple(f"{k}.jpg" for k in range(1, 6))  # spread over the video, in order

_SEGMENT_FILE = re.compile(r"^seg_[0-9]{5}\.ts$")
# What a video's HLS folder may hold: the master; a rendition's playlist and segments; a
# caption track's two files (named by new_caption_file_name).
_HLS_PATH = re.compile(
    r"^(?:master\.m3u8|[0-9]{2,4}p/(?:index\.m3u8|seg_[0-9]{5}\.ts)"
    r"|captions/[A-Za-z0-9-]{2,35}\.[ue][0-9a-f]{8}\.(?:vtt|m3u8))$"
)
_THUMB = re.compile(r"^[0-9]\.jpg$")


def segment_file(number: int) -> str:
    """The name of a rendition's segment `number` (from 0)."""
    return SEGMENT_FILE_PATTERN % number


FIRST_SEGMENT = segment_file(0)


def is_segment_file(name: str) -> bool:
    return bool(_SEGMENT_FILE.match(name))


def valid_hls_path(path: str) -> bool:
    """Whether `path` (under a video's `hls/`) is a name packaging or a caption track makes."""
    return bool(_HLS_PATH.match(path or ""))


def valid_thumb(name: str) -> bool:
    return bool(_THUMB.match(name or ""))


def prefix(video_id: str) -> str:
    """Every object of a video is under this."""
    return f"videos/{video_id}/"


def original(video_id: str, ext: str) -> str:
    return f"{prefix(video_id)}original{ext}"


def is_original(video_id: str, key: str) -> bool:
    """Whether `key` is the video's original (whatever its extension)."""
    return key.startswith(original(video_id, ""))


def hls_prefix(video_id: str) -> str:
    return f"{prefix(video_id)}hls/"


def hls(video_id: str, path: str) -> str:
    """An object under the video's HLS folder (`path` relative to it, as URLs name it)."""
    return f"{hls_prefix(video_id)}{path}"


def master(video_id: str) -> str:
    return hls(video_id, MASTER_PLAYLIST)


def video_path(settings: Settings, video_id: str) -> str:
    """The storage URL of the master playlist, as the spec's `video_path` column holds
    it: `s3://<bucket>/<key>` or `local://<key>`."""
    key = master(video_id)
    if settings.storage_backend == "s3":
        return f"s3://{settings.s3_bucket}/{key}"
    return f"local://{key}"


def rendition_folder(height: int) -> str:
    """A rendition's folder under `hls/`, as the master playlist names it: `720p`."""
    return f"{height}p"


def rendition_playlist(height: int) -> str:
    """A rendition's media playlist, relative to the master (`720p/index.m3u8`)."""
    return f"{rendition_folder(height)}/{MEDIA_PLAYLIST}"


def rendition_file(video_id: str, height: int, name: str) -> str:
    """A file (segment or media playlist) of a rendition."""
    return hls(video_id, f"{rendition_folder(height)}/{name}")


def caption_file(file_name: str, ext: str = ".vtt") -> str:
    """A caption track's WebVTT (`.vtt`) or media playlist (`.m3u8`), relative to `hls/`."""
    return f"captions/{file_name}{ext}"


def new_caption_file_name(language: str, source: str) -> str:
    """A name never used before for a track's files (`en.u1f2e3d4c`; `e` for a track
    made from an embedded stream): a replaced track is fetched anew, whatever a browser
    cached of the old one."""
    return f"{language}.{'e' if source == 'embedded' else 'u'}{secrets.token_hex(4)}"


def captions_prefix(video_id: str) -> str:
    return hls(video_id, caption_file("", ""))


def caption(video_id: str, file_name: str, ext: str = ".vtt") -> str:
    """A caption track's WebVTT (`.vtt`) or media playlist (`.m3u8`)."""
    return hls(video_id, caption_file(file_name, ext))


def poster(video_id: str) -> str:
    return f"{prefix(video_id)}{POSTER}"


def thumbs_prefix(video_id: str) -> str:
    return f"{prefix(video_id)}thumbs/"


def thumb(video_id: str, name: str) -> str:
    return f"{thumbs_prefix(video_id)}{name}"


def video_id_of(key: str) -> str:
    """The video id in an object key (`videos/<id>/...`); "" for any other key."""
    return key.split("/")[1] if key.startswith("videos/") and key.count("/") >= 2 else ""


# -- the temp volume ----------------------------------------------------------------

PART_SUFFIX = ".part"


def sources_dir(temp_dir: str | Path) -> Path:
    return Path(temp_dir) / "sources"


def part_path(temp_dir: str | Path, video_id: str) -> Path:
    """Where the body of an upload to file-svc is written while it arrives."""
    return sources_dir(temp_dir) / f"{video_id}{PART_SUFFIX}"


def source_path(temp_dir: str | Path, video_id: str, ext: str) -> Path:
    """The probed upload, kept as the packager's source."""
    return sources_dir(temp_dir) / f"{video_id}{ext}"


def source_glob(video_id: str) -> str:
    """Every name in `sources_dir` of an upload of `video_id`, received or in progress."""
    return f"{video_id}.*"


def is_part(path: Path) -> bool:
    return path.name.endswith(PART_SUFFIX)


def video_id_of_source(path: Path) -> str:
    return path.name.split(".")[0]


def work_root(temp_dir: str | Path) -> Path:
    return Path(temp_dir) / "work"


def work_tag(video_id: str, stage: str, height: int) -> str:
    """The start of the names of every attempt's folder at one job."""
    return f"{video_id}-{stage}{height}-"


def work_folder(temp_dir: str | Path, video_id: str, stage: str, height: int, attempt: str) -> Path:
    """One attempt's folder (`attempt`: a few characters of its claim)."""
    return work_root(temp_dir) / f"{work_tag(video_id, stage, height)}{attempt}"


def uploads_root(temp_dir: str | Path) -> Path:
    return Path(temp_dir) / "uploads"


def upload_folder(temp_dir: str | Path, upload_id: str) -> Path:
    """A resumable upload's folder (its bytes, and what upload-webapp keeps beside them)."""
    return uploads_root(temp_dir) / upload_id


def upload_data(temp_dir: str | Path, upload_id: str) -> Path:
    """A resumable upload's bytes."""
    return upload_folder(temp_dir, upload_id) / "data"
