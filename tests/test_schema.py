"""The schema: database/ init SQL matches the migrations; MariaDB and SQLite reach the
same tables and columns; a migrated database is left alone by the next start; on SQLite
migrations are serialised between processes; an older database's data is carried over."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from vs_common.db import Database
from vs_common.schema import LATEST, init_sql, migrate
from vs_common.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
TABLES = {
    "uploads",
    "captions",
    "videos",
    "packaging_jobs",
    "renditions",
    "deleted_videos",
    "auth_sessions",
    "login_attempts",
    "shares",
    "views",
    "view_nonces",
    "share_attempts",
    "schema_migrations",
}


def test_init_sql_is_generated_from_migrations():
    assert (ROOT / "database" / "01-schema.sql").read_text() == init_sql(), (
        "database/01-schema.sql is stale: run `python -m vs_common.schema > database/01-schema.sql`"
    )


def test_sqlite_migrates_from_empty_and_again(tmp_path):
    db = Database(Settings(db_path=str(tmp_path / "t.sqlite3")))
    assert migrate(db) == LATEST
    assert migrate(db) == LATEST
    conn = sqlite3.connect(tmp_path / "t.sqlite3")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert TABLES <= tables
    assert conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == LATEST


def _columns_mariadb(mariadb, database):
    rows = mariadb.query(
        "SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s",
        (database,),
    )
    out: dict[str, set[str]] = {}
    for r in rows:
        out.setdefault(r["t"], set()).add(r["c"])
    return out


def test_mariadb_init_sql_then_migrations_agree_with_sqlite(mariadb, tmp_path):
    # A fresh database initialised by the init SQL, as the MariaDB image does on first start.
    with mariadb.root() as conn, conn.cursor() as c:
        c.execute("DROP DATABASE IF EXISTS init_check")
        c.execute("CREATE DATABASE init_check CHARACTER SET utf8mb4")
        c.execute("USE init_check")
        for statement in init_sql().split(";\n"):
            body = "\n".join(ln for ln in statement.splitlines() if not ln.startswith("--")).strip()
            if body:
                c.execute(body)
    with mariadb.root() as conn, conn.cursor() as c:
        c.execute("CREATE USER IF NOT EXISTS 'schema_check'@'%' IDENTIFIED BY 'pw'")
        c.execute("GRANT ALL ON init_check.* TO 'schema_check'@'%'")
    settings = Settings(
        db_host="127.0.0.1", db_port=mariadb.port, db_user="schema_check", db_pass="pw", db_name="init_check"
    )
    db = Database(settings)
    assert migrate(db) == LATEST  # already at the latest: nothing to do
    versions = mariadb.query("SELECT version FROM init_check.schema_migrations")
    assert [r["version"] for r in versions] == list(range(1, LATEST + 1))
    maria = _columns_mariadb(mariadb, "init_check")
    assert TABLES <= set(maria)
    lite = Database(Settings(db_path=str(tmp_path / "s.sqlite3")))
    migrate(lite)
    conn = sqlite3.connect(tmp_path / "s.sqlite3")
    for table in TABLES:
        cols = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        assert cols == maria[table], table
    # Ids are case-sensitive: a random id in other letter case is another (absent) video.
    from vs_common import catalogue

    catalogue.insert_video(
        db, settings, video_id="AbCdEfGhIjKlMnOp", name="n", owner="o", size_bytes=1, original_key="k"
    )
    assert catalogue.get_video(db, "AbCdEfGhIjKlMnOp") is not None
    assert catalogue.get_video(db, "abcdefghijklmnop") is None
    assert catalogue.get_video(db, "AbCdEfGhIjKlMnOp ") is None
    # Owners are compared byte for byte too: `é1`'s video is not `e1`'s, nor `E1`'s.
    from vs_common import tables

    catalogue.insert_video(
        db, settings, video_id="OwnerByteForByte1", name="n", owner="é1", size_bytes=5, original_key="k"
    )
    assert tables.videos.usage(db, "e1") == (0, 0) and tables.videos.usage(db, "E1") == (0, 0)
    assert tables.videos.usage(db, "é1") == (5, 1)
    assert mariadb.query("SELECT COUNT(*) AS n FROM init_check.videos WHERE owner = %s", ("e1",)) == [{"n": 0}]
    db._drop()  # this thread's connection, before the database goes
    with mariadb.root() as conn, conn.cursor() as c:
        c.execute("DROP DATABASE init_check")
        c.execute("DROP USER 'schema_check'@'%'")


def _migrate_when_released(path: str, barrier, results) -> None:
    db = Database(Settings(db_path=path))
    barrier.wait()
    try:
        results.put(("ok", migrate(db)))
    except Exception as exc:  # noqa: BLE001 - reported to the test
        results.put(("error", repr(exc)))


def test_sqlite_migrations_are_serialised_between_processes(tmp_path):
    """Eight processes migrate one empty SQLite file at the same instant, as `make run`'s
    five do: each succeeds, and every migration is applied once."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    path = str(tmp_path / "race.sqlite3")
    barrier, results = ctx.Barrier(8), ctx.Queue()
    procs = [ctx.Process(target=_migrate_when_released, args=(path, barrier, results)) for _ in range(8)]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert outcomes == [("ok", LATEST)] * 8
    conn = sqlite3.connect(path)
    assert [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")] == list(
        range(1, LATEST + 1)
    )


def test_every_process_started_at_once_on_an_empty_database(tmp_path):
    """The five processes of `make run` started together on a new SQLite file: all come up,
    none logs a failed migration (a race seen before migrations were serialised)."""
    from harness import Stack

    st = Stack(tmp_path / "together", {"STORAGE_BACKEND": "local"})
    try:
        st.start(together=True)
        logs = "\n".join(svc.log.read_text(errors="replace") for svc in st.services.values())
    finally:
        st.stop()
    assert "UNIQUE constraint failed" not in logs
    assert "migration failed" not in logs
    assert "database is locked" not in logs


def test_an_older_database_keeps_its_videos(tmp_path, monkeypatch):
    """A database at version 2 (renditions as JSON, one job per video) migrated to the
    latest: renditions become rows, the job becomes the video's first stage."""
    from vs_common import schema

    path = tmp_path / "old.sqlite3"
    db = Database(Settings(db_path=str(path)))
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:2])
    migrate(db)
    monkeypatch.undo()
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO videos (id, video_name, video_path, owner, status, renditions, original_key, created_at, "
            "updated_at) VALUES ('AAAAAAAAAAAAAAAA', 'old', 'p', 'alice', 'ready', "
            '\'[{"height": 360, "status": "ready"}, {"height": 720, "status": "pending"}]\', '
            "'videos/AAAAAAAAAAAAAAAA/original.mp4', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
        cur.execute(
            "INSERT INTO packaging_jobs (video_id, status, attempts, created_at, updated_at) "
            "VALUES ('AAAAAAAAAAAAAAAA', 'running', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
    assert migrate(db) == LATEST
    from vs_common import catalogue, video_json

    video = video_json.to_json(catalogue.get_video(db, "AAAAAAAAAAAAAAAA"), "http://h")
    assert video["renditions"] == [
        {"height": 360, "status": "ready", "error": None},
        {"height": 720, "status": "pending", "error": None},
    ]
    jobs = db.query("SELECT stage, height, status, attempts FROM packaging_jobs")
    assert jobs == [{"stage": "first", "height": 0, "status": "running", "attempts": 1}]


def _database_at(request, tmp_path, monkeypatch, version: int, **settings) -> Database:
    """An empty database of the dialect asked for, migrated to `version` only."""
    from vs_common import schema

    if request.param == "sqlite":
        db = Database(Settings(db_path=str(tmp_path / f"v{version}.sqlite3"), **settings))
    else:
        mariadb = request.getfixturevalue("mariadb")
        env = mariadb.env(mariadb.create_database(f"v{version}_check", fresh=True))
        db = Database(
            Settings(
                db_host=env["DB_HOST"],
                db_port=int(env["DB_PORT"]),
                db_user=env["DB_USER"],
                db_pass=env["DB_PASS"],
                db_name=env["DB_NAME"],
                **settings,
            )
        )
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:version])
    migrate(db)
    monkeypatch.undo()
    assert db.query("SELECT MAX(version) AS v FROM schema_migrations")[0]["v"] == version
    return db


@pytest.fixture(params=["sqlite", "mariadb"])
def version_6(request, tmp_path, monkeypatch):
    db = _database_at(request, tmp_path, monkeypatch, 6)
    yield db
    db._drop()  # this thread's connection, before the next test's database


V6_VIDEO = "BBBBBBBBBBBBBBBB"


def _rows_of_version_6(db: Database) -> None:
    """A ready video as version 6 kept it: renditions named by `label` with their pixels
    `width` x `height` (a portrait 360 and a 720 being made), and its jobs, the
    rendition stage spelt `rung`."""
    at = "2026-01-01 00:00:00"
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO videos (id, video_name, video_path, owner, status, width, height, original_key, created_at, "
            "updated_at) VALUES (?, 'v6', 'p', 'alice', 'ready', 720, 1280, 'k', ?, ?)",
            (V6_VIDEO, at, at),
        )
        for label, width, height, status in ((360, 360, 640, "ready"), (720, 720, 1280, "pending")):
            cur.execute(
                "INSERT INTO renditions (video_id, label, width, height, copied, status, bandwidth, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, 0, ?, 800000, ?, ?)",
                (V6_VIDEO, label, width, height, status, at, at),
            )
        for stage, label, priority, status in (
            ("first", 0, 0, "done"),
            ("thumbs", 0, 5, "done"),
            ("rung", 720, 10, "queued"),
        ):
            cur.execute(
                "INSERT INTO packaging_jobs (video_id, stage, label, priority, status, attempts, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
                (V6_VIDEO, stage, label, priority, status, at, at),
            )


def test_a_version_6_database_keeps_its_renditions_and_jobs(version_6):
    """Migration 7 renames columns (renditions.label -> height, width/height ->
    frame_width/frame_height, packaging_jobs.label -> height) and the stage `rung` ->
    `rendition`, on SQLite and MariaDB: a video's rows read the same afterwards, and its
    keys (one rendition per height, one job per stage and height) still hold."""
    from vs_common import catalogue, tables, video_json

    db = version_6
    _rows_of_version_6(db)
    assert migrate(db) == LATEST
    with db.transaction() as cur:
        r360, r720 = tables.renditions.of_videos(cur, [V6_VIDEO])[V6_VIDEO]
    assert (r360["height"], r360["frame_width"], r360["frame_height"], r360["status"]) == (360, 360, 640, "ready")
    assert (r720["height"], r720["frame_width"], r720["frame_height"], r720["status"]) == (720, 720, 1280, "pending")
    video = video_json.to_json(catalogue.get_video(db, V6_VIDEO), "http://h")
    assert video["renditions"] == [
        {"height": 360, "status": "ready", "error": None},
        {"height": 720, "status": "pending", "error": None},
    ]
    jobs = db.query("SELECT stage, height, status FROM packaging_jobs ORDER BY priority")
    assert jobs == [
        {"stage": "first", "height": 0, "status": "done"},
        {"stage": "thumbs", "height": 0, "status": "done"},
        {"stage": "rendition", "height": 720, "status": "queued"},
    ]
    # The job is claimed as the rendition stage's, and queued again in place (its key).
    job = tables.jobs.claim(db, "w", 60, (tables.jobs.RENDITION,))
    assert (job.video_id, job.stage, job.height) == (V6_VIDEO, tables.jobs.RENDITION, 720)
    with db.transaction() as cur:
        tables.jobs.enqueue(cur, V6_VIDEO, tables.jobs.RENDITION, 720)
    assert len(db.query("SELECT id FROM packaging_jobs")) == 3
    # One rendition per height: a second 720 is refused by the primary key.
    with pytest.raises(Exception, match="(?i)unique|duplicate"), db.transaction() as cur:
        cur.execute(
            "INSERT INTO renditions (video_id, height, frame_width, frame_height, copied, status, created_at, "
            "updated_at) VALUES (?, 720, 1, 1, 0, 'pending', '2026-01-01', '2026-01-01')",
            (V6_VIDEO,),
        )


@pytest.fixture(params=["sqlite", "mariadb"])
def version_8(request, tmp_path, monkeypatch):
    """A database at version 8 whose new videos are private by default (DEFAULT_VISIBILITY)."""
    db = _database_at(request, tmp_path, monkeypatch, 8, default_visibility="private")
    yield db
    db._drop()


def test_migration_9_keeps_videos_internal_and_keeps_links_apart(version_8):
    """Migration 9 (sharing), on SQLite and MariaDB: a video of before stays `internal`
    (what every video was); a new one gets DEFAULT_VISIBILITY; a link's token hash is
    unique; a link's video id is compared byte for byte; a delete takes the video's links
    and views with it; the throttle's rows are told apart by client, link and time."""
    from datetime import timedelta

    from vs_common import catalogue, tables
    from vs_common.db import utcnow

    db = version_8
    at = "2026-01-01 00:00:00"
    db.execute(
        "INSERT INTO videos (id, video_name, video_path, owner, status, original_key, created_at, updated_at) "
        "VALUES ('OldVideo00000000', 'old', 'p', 'alice', 'ready', 'k', ?, ?)",
        (at, at),
    )
    assert migrate(db) == LATEST
    assert catalogue.get_video(db, "OldVideo00000000")["visibility"] == "internal"
    new = catalogue.insert_video(
        db, db.settings, video_id="NewVideo00000000", name="n", owner="é1", size_bytes=1, original_key="k"
    )
    assert new["visibility"] == "private" and catalogue.get_video(db, "NewVideo00000000")["views"] == 0
    chosen = catalogue.insert_video(
        db,
        db.settings,
        video_id="Chosen0000000000",
        name="n",
        owner="o",
        size_bytes=1,
        original_key="k",
        visibility="internal",
    )
    assert chosen["visibility"] == "internal"
    # Lists: another person sees internal videos only; the owner (exactly that name) their own too.
    listed = lambda who: {r["id"] for r in catalogue.list_videos(db, watcher=who)[0]}  # noqa: E731
    assert listed("bob") == {"OldVideo00000000", "Chosen0000000000"}
    assert listed("e1") == listed("E1") == listed("bob")
    assert listed("é1") == {"OldVideo00000000", "Chosen0000000000", "NewVideo00000000"}
    assert len(catalogue.list_videos(db)[0]) == 3  # no watcher: an admin's list

    def share(share_id: str, video_id: str, token_hash: str) -> None:
        tables.shares.insert(
            db,
            {
                "id": share_id,
                "video_id": video_id,
                "token_hash": token_hash,
                "created_by": "é1",
                "created_at": utcnow(),
            },
        )

    share("s1", "NewVideo00000000", "a" * 64)
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        share("s2", "OldVideo00000000", "a" * 64)
    assert tables.shares.by_token_hash(db, "A" * 64) is None  # hashes compared exactly
    share("s3", "OldVideo00000000", "b" * 64)
    assert [r["id"] for r in tables.shares.of_video(db, "newvideo00000000")] == []  # ids byte for byte
    assert [r["id"] for r in tables.shares.of_video(db, "NewVideo00000000")] == ["s1"]
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO views (video_id, share_id, day, count) VALUES ('NewVideo00000000', 's1', ?, 3)", (at[:10],)
        )
        cur.execute("INSERT INTO views (video_id, day, count) VALUES ('NewVideo00000000', ?, 2)", (at[:10],))
    assert catalogue.get_video(db, "NewVideo00000000")["views"] == 5
    assert catalogue.delete_video(db, "NewVideo00000000")
    assert tables.shares.by_token_hash(db, "a" * 64) is None
    assert tables.shares.by_token_hash(db, "b" * 64)["video_id"] == "OldVideo00000000"
    assert db.query("SELECT COUNT(*) AS n FROM views")[0]["n"] == 0
    # A view ticket's nonce counts once (both dialects' INSERT IGNORE / upsert), on the day and the link.
    now = utcnow()
    for expected in (True, False):
        assert tables.views.count(db, "n" * 32, now, "OldVideo00000000", "s3", now.date(), now) is expected
    assert tables.views.count(db, "m" * 32, now, "OldVideo00000000", "s3", now.date(), now)
    assert tables.views.per_day(db, "OldVideo00000000", now.date()) == {now.date().isoformat(): 2}
    assert tables.shares.by_token_hash(db, "b" * 64)["views"] == 2
    tables.views.purge_nonces(db, now + timedelta(seconds=1))
    assert db.query("SELECT COUNT(*) AS n FROM view_nonces")[0]["n"] == 0
    # The throttle's rows: per client and link ('' for unknown tokens), newest first; old ones purged.
    now = utcnow()
    for seconds, client, link in ((30, "1.2.3.4", ""), (20, "1.2.3.4", ""), (10, "1.2.3.4", "s3"), (5, "5.6.7.8", "")):
        tables.share_attempts.add(db, client, link, now - timedelta(seconds=seconds), now - timedelta(hours=1))
    recent = tables.share_attempts.recent(db, "1.2.3.4", "", now - timedelta(minutes=15), 10)
    assert [str(t)[:19] for t in recent] == [str(now - timedelta(seconds=s))[:19] for s in (20, 30)]
    tables.share_attempts.add(db, "9.9.9.9", "", now, now - timedelta(seconds=15))
    assert db.query("SELECT COUNT(*) AS n FROM share_attempts")[0]["n"] == 3
