"""file-svc's media layer: ffmpeg and ffprobe are started from one module (media/runner.py),
and the budget each run obeys is the value passed to it (two budgets side by side in one
process), not a module global."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

FILE_SVC = Path(__file__).resolve().parents[2] / "file-svc"
sys.path.insert(0, str(FILE_SVC))

from file_svc.media import runner  # noqa: E402
from file_svc.media.budget import Budget  # noqa: E402
from file_svc.media.errors import PictureTooLarge  # noqa: E402
from file_svc.media.probe import probe_file  # noqa: E402

STARTS = re.compile(r"\bsubprocess\.(?:run|Popen|call|check_call|check_output)\(|\bos\.(?:system|exec\w*|spawn\w*)\(")


def test_only_the_runner_starts_processes():
    starters = sorted(
        str(path.relative_to(FILE_SVC))
        for path in (FILE_SVC / "file_svc").rglob("*.py")
        if STARTS.search(path.read_text())
    )
    assert starters == ["file_svc/media/runner.py"]


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """A 64x48 H.264 clip of half a second."""
    path = tmp_path_factory.mktemp("media") / "clip.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=0.5"]
        + ["-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)],
        check=True,
        timeout=60,
    )
    return path


def test_each_run_obeys_the_budget_it_is_given(clip):
    assert probe_file(str(clip), Budget()).width == 64
    with pytest.raises(PictureTooLarge, match="64x48 pixels"):
        probe_file(str(clip), Budget(max_source_pixels=64 * 47))
    assert probe_file(str(clip), Budget(max_source_pixels=64 * 48)).height == 48  # the other value still holds


def test_the_memory_limit_reaches_the_child():
    assert runner.capture(["ffprobe", "-version"], Budget()).returncode == 0
    starved = runner.capture(["ffprobe", "-version"], Budget(memory_mb=1))
    assert starved.returncode != 0  # 1 MiB of address space: the child cannot even load
