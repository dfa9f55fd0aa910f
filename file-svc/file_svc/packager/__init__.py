"""The packager: claims packaging jobs from the database, packages to HLS with ffmpeg in
a temp folder, publishes to storage, updates the catalogue.

Its own process (`python -m file_svc.packager`: compose service `packager`, a fifth
process under `make run`), any number of replicas on one database. Each job is one
stage of one video (vs_common.tables.jobs): the first playable rendition, the thumbnails, or
one other rendition. Two lanes of threads:
- PACKAGING_FIRST_WORKERS threads take first stages only: capacity that background work
  can never occupy, so a new video never waits for another one's renditions;
- PACKAGING_WORKERS threads take any stage, most urgent first.
Background ffmpeg runs at nice PACKAGING_BACKGROUND_NICE, so that it yields the CPU to
first stages. `/healthz` on PACKAGER_PORT names the jobs at work.

Its rooms:
- `worker`: the process (lanes, health server, sweep timer, stop);
- `attempt`: one attempt at a job and what it comes to (done, retried, given up, handed
  back, abandoned);
- `stages/`: one module per stage, each a function of a `context.StageContext`;
- `publishing`: putting a stage's output in the store and the catalogue, and taking it
  back; `source`: the upload a job works from;
- `sweeps`: housekeeping; `health`: /healthz and the queue-depth gauge.
"""

from __future__ import annotations

from .health import QueueDepth as QueueDepth
from .worker import Packager as Packager
from .worker import main as main
