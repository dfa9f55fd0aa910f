"""Caption tracks as they come in: decoded, parsed (SRT or WebVTT), checked, escaped and
written back as WebVTT; language tags and labels checked. Used by streaming-svc (the
uploads), file-svc (its internal write route checks again) and the packager (subtitle
streams embedded in an upload, once ffmpeg made WebVTT of them).

- Text: UTF-8 (with or without a BOM) or UTF-16 with a BOM; anything else is refused,
  saying at which byte and line. CR, CRLF and U+0085 (NEL, Unicode's "next line") are
  line ends, made `\n`; every other control character (Unicode category Cc: C0, DEL and
  C1) but tab is refused, saying which and at which line: in cue text it would reach the
  player (U+009B is a terminal's escape), and a file holding them is most likely not
  text, or Windows-1252 read as Latin-1 (its curly quotes become C1 characters).
- Structure: parsed strictly enough that a malformed file is refused saying where (line,
  cue); a file of more than MAX_BYTES is refused as too large (413).
- Cue times: at most MAX_TIME (999:59:59.999: three hour digits, as SRT had); past
  it is refused naming line and cue. The hours are bounded as text (leading zeros
  aside, three digits) before any is made a number, so no length of digits reaches
  int(); zeros padding them are not kept (times are written anew). Numbers kept as text
  are bounded too: a timestamp tag in cue text past MAX_TIME is escaped (text, not a
  tag), one within it loses the zeros padding its hours past two digits; a cue setting
  out of WebVTT's range (a percentage over 100 or of more than 6 decimals, a line number
  of more than three digits) is dropped like unknown settings.
- Cue text: `&`, `<` and `>` are escaped, except WebVTT's own cue tags (`c`, `i`, `b`,
  `u`, `ruby`, `rt`, `v`, `lang`, with classes and annotations) and timestamp tags, and
  the character references WebVTT knows; so `<script>` is stored as `&lt;script&gt;` and
  shown literally. Escaping what this module wrote changes nothing (file-svc checks again).
  SRT's `<font>` tags and `{\\...}` override codes, which WebVTT has no use for, are
  dropped. Header metadata, NOTE, STYLE and REGION blocks and cue identifiers are not
  kept; cue settings are kept when they are WebVTT's (region settings are not).
- Language: a BCP 47 tag (language[-extlang][-script][-region][-variant...][-extension]
  [-x-private]; `und` for unknown), normalised in case (`pt-br` -> `pt-BR`, `zh-hant` ->
  `zh-Hant`) and, for the ISO 639-2 codes of embedded streams, to ISO 639-1 where one
  exists (`eng` -> `en`, `fre`/`fra` -> `fr`); so one language has one spelling.
- Label: one line of 1 to 100 characters, no control characters (tab included), no
  double quote (the master playlist quotes it); and the video-name rules of
  vs_common.names (NFC, trimmed, no bidirectional controls, a visible character, at most
  4 combining marks on one character): a label is a name a person reads in the player.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from . import names

MAX_BYTES = 2 * 1024 * 1024
LABEL_MAX = 100


class CaptionError(ValueError):
    """A refused caption file, tag or label: `status` and `code` for the error JSON."""

    def __init__(self, message: str, code: str = "invalid_captions", status: int = 400):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


def _where(line: int, cue: int | None) -> str:
    return f"line {line}" + (f" (cue {cue})" if cue is not None else "")


def _show(text: str, limit: int = 60) -> str:
    text = text.strip()
    return repr(text if len(text) <= limit else text[:limit] + "...")


# -- text -------------------------------------------------------------------------------

_BOMS = (
    (b"\xff\xfe\x00\x00", None),  # UTF-32: refused (it starts like UTF-16 LE)
    (b"\x00\x00\xfe\xff", None),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# Every control character (category Cc) but tab and `\n`, once CR and NEL are `\n`.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ENCODINGS = "UTF-8 (with or without a BOM) or UTF-16 with a BOM"


def decode(data: bytes, limit: int = MAX_BYTES) -> str:
    """The file as text, line ends made `\\n`; CaptionError when it is larger than `limit`
    (413), not in one of the encodings read, or holds control characters."""
    if len(data) > limit:
        raise CaptionError(
            f"The caption file is {len(data)} bytes; the largest accepted is {limit} bytes"
            + (" (2 MiB)." if limit == MAX_BYTES else "."),
            "file_too_large",
            413,
        )
    codec, body = "utf-8", data
    for bom, name in _BOMS:
        if data.startswith(bom):
            if name is None:
                raise CaptionError(f"The caption file is UTF-32; it must be {_ENCODINGS}.", "bad_encoding")
            codec, body = name, data[len(bom) :]
            break
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as exc:
        if codec == "utf-8":
            line = body[: exc.start].count(b"\n") + 1
            where = f"byte {exc.start + 1 + len(data) - len(body)}, line {line}"
        else:
            where = f"byte {exc.start + 1 + len(data) - len(body)}"
        raise CaptionError(
            f"The caption file is not {_ENCODINGS}: {where} cannot be read as {codec.upper()}.", "bad_encoding"
        ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x85", "\n")
    if bad := _CONTROL.search(text):
        line = text.count("\n", 0, bad.start()) + 1
        code = ord(bad.group())
        hint = "is it Windows-1252 text converted as Latin-1?" if code >= 0x80 else "is it a text file?"
        raise CaptionError(
            f"The caption file has a control character (U+{code:04X}) at line {line}; {hint}", "bad_encoding"
        )
    return text.removeprefix("\ufeff")


# -- cue text ---------------------------------------------------------------------------

_REFERENCE = re.compile(r"&(?:amp|lt|gt|lrm|rlm|nbsp|quot|apos|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
_TAG = re.compile(r"<([^<>\n]*)>")
_TIMESTAMP_TAG = re.compile(r"^(?:([0-9]{2,}):)?([0-5][0-9]:[0-5][0-9]\.[0-9]{3})$")
_END_TAG = re.compile(r"^/(?:c|i|b|u|ruby|rt|v|lang)$")
_START_TAG = re.compile(r"^(c|i|b|u|ruby|rt|v|lang)((?:\.[A-Za-z0-9_-]{1,40})*)(?:[ \t]+(.*))?$")
_VOICE = re.compile(r"^[^<>&\"\n]{1,100}$")
_LANG_ANNOTATION = re.compile(r"^[A-Za-z0-9-]{1,35}$")


def _escape_text(text: str) -> str:
    out, pos = [], 0
    for m in _REFERENCE.finditer(text):
        out.append(text[pos : m.start()].replace("&", "&amp;"))
        out.append(m.group())
        pos = m.end()
    out.append(text[pos:].replace("&", "&amp;"))
    return "".join(out).replace("<", "&lt;").replace(">", "&gt;")


def _cue_tag(inner: str) -> str | None:
    """A WebVTT cue tag as written back (`<v Bob>`, `<c.yellow>`, `</i>`), or None."""
    if ts := _TIMESTAMP_TAG.match(inner):
        return _timestamp_tag(ts)
    if _END_TAG.match(inner):
        return f"<{inner}>"
    m = _START_TAG.match(inner)
    if m is None:
        return None
    name, classes, annotation = m.group(1), m.group(2), (m.group(3) or "").strip()
    if name == "v":
        if annotation and not _VOICE.match(annotation):
            return None
        return f"<v{classes}{' ' + annotation if annotation else ''}>"
    if name == "lang":
        if not _LANG_ANNOTATION.match(annotation):
            return None
        return f"<lang{classes} {annotation}>"
    return f"<{name}{classes}>"  # an annotation means nothing on these: not kept


def _timestamp_tag(ts: re.Match) -> str | None:
    """A timestamp tag as kept: its hours (if any) without the zeros padding them past
    two digits; None (so it is escaped, shown as text) past MAX_HOURS."""
    if ts.group(1) is None:
        return f"<{ts.group(2)}>"
    hours = _hours(ts.group(1))
    return None if hours is None else f"<{hours:02d}:{ts.group(2)}>"


def escape_cue_text(line: str) -> str:
    """One line of cue text with everything but WebVTT's cue tags escaped."""
    out, pos = [], 0
    for m in _TAG.finditer(line):
        out.append(_escape_text(line[pos : m.start()]))
        tag = _cue_tag(m.group(1))
        out.append(tag if tag is not None else _escape_text(m.group()))
        pos = m.end()
    out.append(_escape_text(line[pos:]))
    return "".join(out)


# -- cues -------------------------------------------------------------------------------


@dataclass
class Cue:
    start_ms: int
    end_ms: int
    settings: str
    lines: list[str]  # escaped cue text


MAX_HOURS = 999
MAX_TIME = f"{MAX_HOURS}:59:59.999"


def _hours(text: str | None) -> int | None:
    """A timestamp's hours (0 when it has none), or None past MAX_HOURS. Told from the
    text first: past the zeros that pad it, a number of more digits than MAX_HOURS has is
    past it, so int() never sees a long one (past 4,300 digits it raises ValueError)."""
    digits = (text or "").lstrip("0")
    if len(digits) > len(str(MAX_HOURS)):
        return None
    hours = int(digits or "0")
    return hours if hours <= MAX_HOURS else None


def _ms(hours: int, m: str, s: str, frac: str) -> int:
    return ((hours * 60 + int(m)) * 60 + int(s)) * 1000 + int(frac)


def _cue_times(m: re.Match, kind: str, line: int, cue: int) -> tuple[int, int]:
    """Start and end (ms) of a timing line's match (groups 1-4 and 5-8); CaptionError
    naming the line and cue when an hour field is past MAX_HOURS or the cue ends before
    it starts."""
    times = []
    for first in (1, 5):
        hours = _hours(m.group(first))
        if hours is None:
            raise CaptionError(
                f"Malformed {kind} at {_where(line, cue)}: the hours {_show(m.group(first), 20)} are past "
                f"{MAX_HOURS}; a cue time is at most {MAX_TIME}."
            )
        times.append(_ms(hours, *m.group(first + 1, first + 2, first + 3)))
    start, end = times
    _check_times(start, end, line, cue)
    return start, end


def timestamp(ms: int) -> str:
    """`HH:MM:SS.mmm`, as WebVTT writes it."""
    s, ms = divmod(ms, 1000)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def _check_times(start: int, end: int, line: int, cue: int) -> None:
    if end < start:
        raise CaptionError(
            f"Malformed captions at {_where(line, cue)}: the cue ends ({timestamp(end)}) before it starts "
            f"({timestamp(start)})."
        )


_VTT_TS = r"(?:([0-9]{2,}):)?([0-5][0-9]):([0-5][0-9])\.([0-9]{3})"
_VTT_TIMING = re.compile(rf"^{_VTT_TS}[ \t]+-->[ \t]+{_VTT_TS}(?:[ \t]+(.*))?$")
_VTT_SIGNATURE = re.compile(r"^WEBVTT(?:[ \t].*)?$")
_LOOKS_TIMED = re.compile(r"^[0-9]{1,}:[0-9:.,]*[ \t]*(?:-|$)")
_VTT_SPECIAL_BLOCK = re.compile(r"^(?:NOTE|STYLE|REGION)(?:[ \t]|$)")
# A percentage as WebVTT reads one (0 to 100) with at most 6 decimals; a line number of
# at most three digits: settings past them are dropped, not stored.
_PERCENT = r"(?:100(?:\.0{1,6})?|[0-9]{1,2}(?:\.[0-9]{1,6})?)%"
_SETTING = re.compile(
    r"^(?:vertical:(?:rl|lr)"
    rf"|line:(?:-?[0-9]{{1,3}}|{_PERCENT})(?:,(?:start|center|end))?"
    rf"|position:{_PERCENT}(?:,(?:line-left|center|line-right))?"
    rf"|size:{_PERCENT}"
    r"|align:(?:start|center|end|left|right))$"
)


def _blocks(lines: list[str], start: int):
    """(index of its first line, its lines) of each block of non-blank lines."""
    i = start
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        first = i
        while i < len(lines) and lines[i].strip():
            i += 1
        yield first, lines[first:i]


def parse_webvtt(text: str) -> list[Cue]:
    """The cues of a WebVTT file; CaptionError saying where it is malformed."""
    lines = text.split("\n")
    if not _VTT_SIGNATURE.match(lines[0].rstrip()):
        raise CaptionError("Malformed WebVTT at line 1: a WebVTT file starts with the line 'WEBVTT'.")
    i = 1
    while i < len(lines) and lines[i].strip():  # header lines, up to the first blank line
        if "-->" in lines[i]:
            raise CaptionError(
                f"Malformed WebVTT at line {i + 1}: a blank line must end the header before the first cue."
            )
        i += 1
    cues: list[Cue] = []
    for first, block in _blocks(lines, i):
        if _VTT_SPECIAL_BLOCK.match(block[0]) and "-->" not in block[0]:
            continue  # a comment, a style sheet or a region: not kept
        number = len(cues) + 1
        t = 0 if "-->" in block[0] else 1
        if t == 1 and _LOOKS_TIMED.match(block[0]):
            t = 0  # a timing line gone wrong, not an identifier: say so
        if t >= len(block) or ("-->" not in block[t] and t == 1):
            at = first + min(t, len(block) - 1) + 1
            raise CaptionError(
                f"Malformed WebVTT at {_where(at, number)}: expected a timing line (00:00:01.000 --> 00:00:02.000), "
                f"found {_show(block[min(t, len(block) - 1)])}."
            )
        line_no = first + t + 1
        m = _VTT_TIMING.match(block[t].strip())
        if m is None:
            raise CaptionError(
                f"Malformed WebVTT at {_where(line_no, number)}: {_show(block[t])} is not a timing line "
                "(HH:MM:SS.mmm --> HH:MM:SS.mmm, hours optional)."
            )
        start, end = _cue_times(m, "WebVTT", line_no, number)
        settings = " ".join(s for s in (m.group(9) or "").split() if _SETTING.match(s))
        payload = []
        for k, raw in enumerate(block[t + 1 :], start=line_no + 1):
            if "-->" in raw:
                raise CaptionError(
                    f"Malformed WebVTT at {_where(k, number)}: '-->' in the cue text (is a blank line missing "
                    "before the next cue?)."
                )
            payload.append(escape_cue_text(raw.rstrip()))
        cues.append(Cue(start, end, settings, payload))
    return cues


_SRT_TS = r"([0-9]+):([0-5][0-9]):([0-5][0-9])[,.]([0-9]{3})"  # hours bounded by _cue_times
_SRT_TIMING = re.compile(rf"^{_SRT_TS}[ \t]+-->[ \t]+{_SRT_TS}(?:[ \t]+.*)?$")
_SRT_FONT = re.compile(r"</?font(?:[ \t][^<>]*)?>", re.IGNORECASE)
_SRT_OVERRIDE = re.compile(r"\{\\[^{}]*\}")
_SRT_STYLE = re.compile(r"<(/?)([IBU])>")


def _srt_text(raw: str) -> str:
    text = _SRT_OVERRIDE.sub("", _SRT_FONT.sub("", raw))
    text = _SRT_STYLE.sub(lambda m: f"<{m.group(1)}{m.group(2).lower()}>", text)
    return escape_cue_text(text.rstrip())


def parse_srt(text: str) -> list[Cue]:
    """The cues of a SubRip file (number, timing line, text; blank lines between cues);
    CaptionError saying where it is malformed."""
    lines = text.split("\n")
    cues: list[Cue] = []
    for first, block in _blocks(lines, 0):
        number = len(cues) + 1
        head = block[0].strip()
        if not (head.isascii() and head.isdigit()):
            what = "a timing line" if "-->" in head else _show(head)
            raise CaptionError(
                f"Malformed SRT at {_where(first + 1, number)}: expected the cue's number (a line of digits), "
                f"found {what}."
            )
        if len(block) < 2:
            raise CaptionError(
                f"Malformed SRT at {_where(first + 2, number)}: expected a timing line "
                "(00:00:01,000 --> 00:00:02,000) after the cue's number."
            )
        m = _SRT_TIMING.match(block[1].strip())
        if m is None:
            raise CaptionError(
                f"Malformed SRT at {_where(first + 2, number)}: {_show(block[1])} is not a timing line "
                "(HH:MM:SS,mmm --> HH:MM:SS,mmm)."
            )
        start, end = _cue_times(m, "SRT", first + 2, number)
        payload = []
        for k, raw in enumerate(block[2:], start=first + 3):
            if _SRT_TIMING.match(raw.strip()):
                raise CaptionError(
                    f"Malformed SRT at {_where(k, number)}: a timing line inside the cue's text (is a blank line "
                    "and a cue number missing before it?)."
                )
            payload.append(_srt_text(raw))
        cues.append(Cue(start, end, "", payload))
    return cues


def write_webvtt(cues: list[Cue]) -> str:
    """WebVTT text of the cues (no header metadata: file-svc adds X-TIMESTAMP-MAP)."""
    out = ["WEBVTT", ""]
    for cue in cues:
        timing = f"{timestamp(cue.start_ms)} --> {timestamp(cue.end_ms)}"
        out.append(f"{timing} {cue.settings}" if cue.settings else timing)
        out.extend(line for line in cue.lines if line.strip())  # a blank line would end the cue
        out.append("")
    return "\n".join(out)


def to_webvtt(data: bytes, filename: str | None = None, limit: int = MAX_BYTES) -> tuple[str, list[Cue]]:
    """An uploaded file (.vtt or .srt, told apart by its first line) as checked, escaped
    WebVTT, and its cues; CaptionError (400, or 413 past MAX_BYTES) saying what is wrong."""
    ext = ""
    if filename and "." in filename:
        ext = "." + filename.rsplit(".", 1)[1].lower()
        if ext not in (".vtt", ".srt"):
            raise CaptionError("The caption file must be WebVTT (.vtt) or SubRip (.srt).", "unsupported_format")
    text = decode(data, limit)
    if not text.strip():
        raise CaptionError("The caption file is empty.", "no_cues")
    cues = parse_webvtt(text) if text.startswith("WEBVTT") or ext == ".vtt" else parse_srt(text)
    if not cues:
        raise CaptionError("The caption file has no cues.", "no_cues")
    return write_webvtt(cues), cues


def with_timestamp_map(vtt: str, mpegts: int) -> str:
    """`vtt` (as write_webvtt makes it) with `X-TIMESTAMP-MAP` in its header: its time 0
    is the segments' MPEG-TS time `mpegts` (90 kHz)."""
    first, _, rest = vtt.partition("\n")
    return f"{first}\nX-TIMESTAMP-MAP=MPEGTS:{mpegts},LOCAL:00:00:00.000\n{rest}"


# -- language tags and labels -------------------------------------------------------------

_BCP47 = re.compile(
    r"^(?P<language>[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{5,8})"
    r"(?:-(?P<script>[a-z]{4}))?"
    r"(?:-(?P<region>[a-z]{2}|[0-9]{3}))?"
    r"(?P<rest>(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*"
    r"(?:-[a-wyz0-9](?:-[a-z0-9]{2,8})+)*"
    r"(?:-x(?:-[a-z0-9]{1,8})+)?)$",
    re.IGNORECASE,
)
LANGUAGE_MAX = 35


def normalize_language(tag) -> str:
    """A BCP 47 tag as stored: checked, case normalised, ISO 639-2 codes as ISO 639-1
    where one exists (`eng` -> `en`, `fre-CA` -> `fr-CA`); CaptionError if it is not one."""
    if not isinstance(tag, str) or not tag.strip():
        raise CaptionError("'language' is required: a BCP 47 tag such as 'en', 'pt-BR' or 'und'.", "bad_language")
    tag = tag.strip()
    m = _BCP47.match(tag) if tag.isascii() and len(tag) <= LANGUAGE_MAX else None
    if m is None:
        raise CaptionError(
            f"'language' must be a BCP 47 tag such as 'en', 'pt-BR', 'zh-Hant' or 'und'; {_show(tag, 40)} is not one.",
            "bad_language",
        )
    language, *extlang = m.group("language").lower().split("-")
    language = _ISO639_2_TO_1.get(language, language)
    parts = ["-".join([language, *extlang])]
    if m.group("script"):
        parts.append(m.group("script").title())
    if m.group("region"):
        parts.append(m.group("region").upper())
    return "-".join(parts) + m.group("rest").lower()


# The owner's captions form offers these languages by name and sends their BCP 47 tag
# (as normalize_language stores it), so that "English" never becomes
# the tag `english`. A track of another language added through the API is listed too.
FORM_LANGUAGES = (
    ("ar", "Arabic"),
    ("zh-Hans", "Chinese (Simplified)"),
    ("zh-Hant", "Chinese (Traditional)"),
    ("cs", "Czech"),
    ("da", "Danish"),
    ("nl", "Dutch"),
    ("en", "English"),
    ("en-GB", "English (United Kingdom)"),
    ("en-US", "English (United States)"),
    ("fi", "Finnish"),
    ("fr", "French"),
    ("fr-CA", "French (Canada)"),
    ("de", "German"),
    ("el", "Greek"),
    ("he", "Hebrew"),
    ("hi", "Hindi"),
    ("hu", "Hungarian"),
    ("id", "Indonesian"),
    ("it", "Italian"),
    ("ja", "Japanese"),
    ("ko", "Korean"),
    ("nb", "Norwegian Bokmål"),
    ("pl", "Polish"),
    ("pt", "Portuguese"),
    ("pt-BR", "Portuguese (Brazil)"),
    ("ro", "Romanian"),
    ("ru", "Russian"),
    ("es", "Spanish"),
    ("es-419", "Spanish (Latin America)"),
    ("sv", "Swedish"),
    ("th", "Thai"),
    ("tr", "Turkish"),
    ("uk", "Ukrainian"),
    ("vi", "Vietnamese"),
)


def language_name(tag: str) -> str:
    """An English name for a tag's language ('English' for `en-GB`), for a track's label."""
    primary = tag.split("-")[0]
    if primary == "und":
        return "Subtitles"
    return _NAMES.get(_ISO639_2_TO_1.get(primary, primary), tag)


def check_label(label) -> str:
    """The label as stored (NFC, trimmed); CaptionError (`bad_label`) unless it is one
    line of 1 to 100 characters with no control characters (tab included) and no double
    quote, that the video-name rules accept too (names.clean_name: no bidirectional
    controls, something visible, no towers of combining marks)."""
    if not isinstance(label, str):
        raise CaptionError("'label' is required: the track's name, as the player's menu shows it.", "bad_label")
    label = unicodedata.normalize("NFC", label).strip(" ")
    if not label:
        raise CaptionError("'label' is required: the track's name, as the player's menu shows it.", "bad_label")
    if len(label) > LABEL_MAX:
        raise CaptionError(f"'label' is {len(label)} characters; at most {LABEL_MAX}.", "bad_label")
    for ch in label:
        if ch == '"':
            raise CaptionError("'label' may not contain a double quote (\").", "bad_label")
        if ch in "\n\r\u2028\u2029\x85":
            raise CaptionError("'label' must be one line.", "bad_label")
        if unicodedata.category(ch) == "Cc":
            raise CaptionError(f"'label' may not contain control characters (U+{ord(ch):04X}).", "bad_label")
    try:
        return names.clean_name(label, "'label'")
    except names.InvalidName as exc:
        raise CaptionError(str(exc), "bad_label") from None


def label_from_title(title: str | None, language: str) -> str:
    """The label of an embedded stream: its title when that is a valid label, else the
    language's name."""
    if title:
        cleaned = "".join(
            ch for ch in title.replace('"', "'") if unicodedata.category(ch) != "Cc" and ch not in "\u2028\u2029"
        ).strip()[:LABEL_MAX]
        try:
            return check_label(cleaned)
        except CaptionError:
            pass
    return language_name(language)


_ISO639_2_TO_1 = dict(
    pair.split(":")
    for pair in (
        "aar:aa abk:ab afr:af aka:ak alb:sq amh:am ara:ar arg:an arm:hy asm:as ava:av ave:ae aym:ay aze:az "
        "bak:ba bam:bm baq:eu bel:be ben:bn bih:bh bis:bi bod:bo bos:bs bre:br bul:bg bur:my cat:ca ces:cs "
        "cha:ch che:ce chi:zh chu:cu chv:cv cor:kw cos:co cre:cr cym:cy cze:cs dan:da deu:de div:dv dut:nl "
        "dzo:dz ell:el eng:en epo:eo est:et eus:eu ewe:ee fao:fo fas:fa fij:fj fin:fi fra:fr fre:fr fry:fy "
        "ful:ff geo:ka ger:de gla:gd gle:ga glg:gl glv:gv gre:el grn:gn guj:gu hat:ht hau:ha heb:he her:hz "
        "hin:hi hmo:ho hrv:hr hun:hu hye:hy ibo:ig ice:is ido:io iii:ii iku:iu ile:ie ina:ia ind:id ipk:ik "
        "isl:is ita:it jav:jv jpn:ja kal:kl kan:kn kas:ks kat:ka kau:kr kaz:kk khm:km kik:ki kin:rw kir:ky "
        "kom:kv kon:kg kor:ko kua:kj kur:ku lao:lo lat:la lav:lv lim:li lin:ln lit:lt ltz:lb lub:lu lug:lg "
        "mac:mk mah:mh mal:ml mao:mi mar:mr may:ms mkd:mk mlg:mg mlt:mt mon:mn mri:mi msa:ms mya:my nau:na "
        "nav:nv nbl:nr nde:nd ndo:ng nep:ne nld:nl nno:nn nob:nb nor:no nya:ny oci:oc oji:oj ori:or orm:om "
        "oss:os pan:pa per:fa pli:pi pol:pl por:pt pus:ps que:qu roh:rm ron:ro rum:ro run:rn rus:ru sag:sg "
        "san:sa sin:si slk:sk slo:sk slv:sl sme:se smo:sm sna:sn snd:sd som:so sot:st spa:es sqi:sq srd:sc "
        "srp:sr ssw:ss sun:su swa:sw swe:sv tah:ty tam:ta tat:tt tel:te tgk:tg tgl:tl tha:th tib:bo tir:ti "
        "ton:to tsn:tn tso:ts tuk:tk tur:tr twi:tw uig:ug ukr:uk urd:ur uzb:uz ven:ve vie:vi vol:vo wel:cy "
        "wln:wa wol:wo xho:xh yid:yi yor:yo zha:za zho:zh zul:zu "
    ).split()
)
_NAMES = dict(
    item.split("=", 1)
    for item in (
        "aa=Afar|ab=Abkhazian|ae=Avestan|af=Afrikaans|ak=Akan|am=Amharic|an=Aragonese|ar=Arabic|as=Assamese|"
        "av=Avaric|ay=Aymara|az=Azerbaijani|ba=Bashkir|be=Belarusian|bg=Bulgarian|bh=Bihari languages|"
        "bi=Bislama|bm=Bambara|bn=Bengali|bo=Tibetan|br=Breton|bs=Bosnian|ca=Catalan|ce=Chechen|ch=Chamorro|"
        "co=Corsican|cr=Cree|cs=Czech|cu=Church Slavic|cv=Chuvash|cy=Welsh|da=Danish|de=German|dv=Divehi|"
        "dz=Dzongkha|ee=Ewe|el=Greek|en=English|eo=Esperanto|es=Spanish|et=Estonian|eu=Basque|fa=Persian|"
        "ff=Fulah|fi=Finnish|fj=Fijian|fo=Faroese|fr=French|fy=Western Frisian|ga=Irish|gd=Gaelic|"
        "gl=Galician|gn=Guarani|gu=Gujarati|gv=Manx|ha=Hausa|he=Hebrew|hi=Hindi|ho=Hiri Motu|hr=Croatian|"
        "ht=Haitian|hu=Hungarian|hy=Armenian|hz=Herero|ia=Interlingua|id=Indonesian|ie=Interlingue|ig=Igbo|"
        "ii=Sichuan Yi|ik=Inupiaq|io=Ido|is=Icelandic|it=Italian|iu=Inuktitut|ja=Japanese|jv=Javanese|"
        "ka=Georgian|kg=Kongo|ki=Kikuyu|kj=Kuanyama|kk=Kazakh|kl=Kalaallisut|km=Central Khmer|kn=Kannada|"
        "ko=Korean|kr=Kanuri|ks=Kashmiri|ku=Kurdish|kv=Komi|kw=Cornish|ky=Kirghiz|la=Latin|lb=Luxembourgish|"
        "lg=Ganda|li=Limburgan|ln=Lingala|lo=Lao|lt=Lithuanian|lu=Luba-Katanga|lv=Latvian|mg=Malagasy|"
        "mh=Marshallese|mi=Maori|mk=Macedonian|ml=Malayalam|mn=Mongolian|mr=Marathi|ms=Malay|mt=Maltese|"
        "my=Burmese|na=Nauru|nb=Norwegian Bokmål|nd=North Ndebele|ne=Nepali|ng=Ndonga|nl=Dutch|"
        "nn=Norwegian Nynorsk|no=Norwegian|nr=South Ndebele|nv=Navajo|ny=Chichewa|oc=Occitan|oj=Ojibwa|"
        "om=Oromo|or=Oriya|os=Ossetian|pa=Panjabi|pi=Pali|pl=Polish|ps=Pushto|pt=Portuguese|qu=Quechua|"
        "rm=Romansh|rn=Rundi|ro=Romanian|ru=Russian|rw=Kinyarwanda|sa=Sanskrit|sc=Sardinian|sd=Sindhi|"
        "se=Northern Sami|sg=Sango|si=Sinhala|sk=Slovak|sl=Slovenian|sm=Samoan|sn=Shona|so=Somali|"
        "sq=Albanian|sr=Serbian|ss=Swati|st=Southern Sotho|su=Sundanese|sv=Swedish|sw=Swahili|ta=Tamil|"
        "te=Telugu|tg=Tajik|th=Thai|ti=Tigrinya|tk=Turkmen|tl=Tagalog|tn=Tswana|to=Tongan|tr=Turkish|"
        "ts=Tsonga|tt=Tatar|tw=Twi|ty=Tahitian|ug=Uighur|uk=Ukrainian|ur=Urdu|uz=Uzbek|ve=Venda|"
        "vi=Vietnamese|vo=Volapük|wa=Walloon|wo=Wolof|xh=Xhosa|yi=Yiddish|yo=Yoruba|za=Zhuang|zh=Chinese|"
        "zu=Zulu|"
    ).split("|")
    if item
)
