"""A lab of 60 students, for real, on tests/live.py's stack (Redis, Celery worker, Daphne, fresh DB).

A teacher makes a course and a published lab over HTTP; the students sign up, join by code, get
their copy of the starter (GET /api/labs/<id>/design/) and train it. The teacher's wall socket
(ws/labs/<id>/, the session cookie and Origin a browser sends) stays connected throughout.

A. every student queues one run at once: every message of every run reaches the wall (compared
   with the run's stored stream), and wall latency, from a point's `time` (stamped in the worker
   by the engine) to its arrival on the wall socket (same machine, same clock);
B. the lab grows to `--runs-per-student` runs each, all trained for real; then the teacher's pages
   and the APIs the wall and lab pages call, timed sequentially and concurrently;
C. fairness: one student queues a burst of 10, then another student queues 1; the start order.

Run: .venv/bin/python bench/bench_lab.py [--students 60] [--runs-per-student 10] [--runs-per-worker 2]
"""
import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_soak import FINAL, TINY, _worker_with  # noqa: E402
from bench.stats import percentile_ms  # noqa: E402
from tests.live import PASSWORD, LiveApp, wait_for  # noqa: E402

STARTER = dict(TINY, name="lab")  # the soak's tiny design: input, flatten, one linear layer
BURST = 10


class Wall:
    """The teacher's wall socket, read in a thread that stamps each arrival before anything else."""

    def __init__(self, app: LiveApp, lab_id: int, session: requests.Session):
        cookies = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
        self.ws = connect(f"{app.ws_url}/ws/labs/{lab_id}/", origin=app.url, additional_headers={"Cookie": cookies},
                          open_timeout=10, max_queue=None)
        self.raw: list[tuple[float, str]] = []
        self.ended: set[int] = set()  # runs whose final status has arrived
        self.closed: str | None = None
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def read(self) -> None:
        try:
            for frame in self.ws:
                self.raw.append((time.time(), frame))
                message = json.loads(frame)
                if message.get("status") in FINAL:
                    self.ended.add(message["run"])
        except ConnectionClosed as exc:
            self.closed = str(exc)

    def messages(self) -> list[tuple[float, dict]]:
        return [(t, json.loads(frame)) for t, frame in list(self.raw)]


def log_in(app: LiveApp, username: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{app.url}/accounts/login/")
    r = session.post(f"{app.url}/accounts/login/", headers={"Referer": app.url}, data={
        "username": username, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]})
    assert r.ok and "sessionid" in session.cookies, r.text[:300]
    return session


def make_lab(app: LiveApp, teacher, args) -> tuple[dict, dict]:
    course = teacher.post(f"{app.url}/api/courses/", json={"name": "A 60-student class"}).json()
    limits = {"max_params": 20_000, "max_epochs": 5, "max_runs": args.runs_per_student + BURST + 1, "max_queued": BURST}
    r = teacher.post(f"{app.url}/api/courses/{course['id']}/labs/", json={
        "title": "Digits, one layer", "starter": STARTER, "locked": ["image", "logits"], "dataset": "digits",
        "limits": limits, "settings": {"batch_size": 64}, "published": True})
    assert r.status_code == 201, r.text
    return course, r.json()


def join(app: LiveApp, course: dict, lab: dict) -> tuple[str, requests.Session, int]:
    name, _, token = app.signup()
    api = app.api(token)
    assert api.post(f"{app.url}/api/courses/join/", json={"code": course["join_code"]}).ok
    design = api.get(f"{app.url}/api/labs/{lab['id']}/design/").json()
    return name, api, design["id"]


def queue_run(app: LiveApp, student, lab: dict, epochs: int, seed: int = 0) -> tuple[int, float]:
    _, api, design = student
    t = time.perf_counter()
    r = api.post(f"{app.url}/api/runs/", json={"graph": design, "lab": lab["id"], "epochs": epochs, "seed": seed})
    assert r.status_code == 201, r.text
    return r.json()["id"], time.perf_counter() - t


def wait_final(app: LiveApp, teacher, lab: dict, wall: Wall, run_ids: set, timeout: float) -> list[dict]:
    """Wait on the wall socket (polling the lab's runs, 1 MB with 600 runs, would load the server),
    asking the API every 30 s in case a final status never reaches the wall."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            wait_for(lambda: run_ids <= wall.ended, "the wall", timeout=30, interval=0.5)
        except TimeoutError:
            pass
        runs = [r for r in teacher.get(f"{app.url}/api/labs/{lab['id']}/runs/").json() if r["id"] in run_ids]
        if all(r["status"] in FINAL for r in runs):
            return runs
        if time.monotonic() > deadline:
            raise TimeoutError(f"runs still not final after {timeout:.0f} s")


def phase_a(app, teacher, lab, wall, students, epochs) -> dict:
    barrier = threading.Barrier(len(students))

    def one(student):
        barrier.wait()
        return queue_run(app, student, lab, epochs)
    started = time.monotonic()
    with ThreadPoolExecutor(len(students)) as pool:
        queued = list(pool.map(one, students))
    runs = wait_final(app, teacher, lab, wall, {pk for pk, _ in queued}, timeout=900)
    return {"runs": runs, "post_s": [s for _, s in queued], "elapsed": time.monotonic() - started}


def phase_b(app, teacher, lab, wall, students, per_student, epochs) -> dict:
    """Each student queues the rest of their runs; four students' requests are in flight at a time."""
    jobs = [(s, i) for i in range(1, per_student) for s in students]
    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        queued = list(pool.map(lambda job: queue_run(app, job[0], lab, epochs, seed=job[1]), jobs))
    runs = wait_final(app, teacher, lab, wall, {pk for pk, _ in queued}, timeout=3600)
    return {"runs": runs, "post_s": [s for _, s in queued], "elapsed": time.monotonic() - started}


def time_gets(session, url: str, sequential: int, concurrent: int, threads: int) -> dict:
    def get(_):
        t = time.perf_counter()
        r = session.get(url)
        assert r.status_code == 200, (url, r.status_code, r.text[:200])
        return time.perf_counter() - t, len(r.content)
    seq = [get(i) for i in range(sequential)]
    with ThreadPoolExecutor(threads) as pool:
        conc = list(pool.map(get, range(concurrent)))
    return {"seq": [s for s, _ in seq], "conc": [s for s, _ in conc], "bytes": seq[-1][1]}


def teacher_pages(app, session, course, lab, args) -> dict:
    lab_id = lab["id"]
    urls = {"leaderboard API": f"/api/labs/{lab_id}/leaderboard/", "wall page (HTML)": f"/labs/{lab_id}/wall/",
            "lab page (HTML)": f"/labs/{lab_id}/", "grades CSV": f"/api/labs/{lab_id}/grades.csv",
            "wall summary API (the wall's)": f"/api/labs/{lab_id}/wall/",
            "lab runs API (every run in full)": f"/api/labs/{lab_id}/runs/",
            "members API (the wall's)": f"/api/courses/{course['id']}/members/"}
    return {name: time_gets(session, app.url + path, args.requests, args.requests, args.threads)
            for name, path in urls.items()}


def phase_c(app, teacher, lab, wall, students) -> dict:
    """A burst of BURST runs from one student, then one run from another, each 5 epochs long."""
    burst = [queue_run(app, students[0], lab, 5, seed=100 + i)[0] for i in range(BURST)]
    late = queue_run(app, students[1], lab, 5, seed=200)[0]
    runs = wait_final(app, teacher, lab, wall, set(burst) | {late}, timeout=900)
    return {"runs": runs, "late": late}


def seconds(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def delivery(app, teacher, lab, run_ids, wall_msgs) -> dict:
    """Each run's messages on the wall against its stored stream, by seq."""
    by_run: dict[int, list[int]] = {}
    for _, m in wall_msgs:
        by_run.setdefault(m["run"], []).append(m["seq"])
    out = {"runs": len(run_ids), "complete": 0, "missing": 0, "duplicates": 0, "stored": 0, "points": 0}
    for pk in run_ids:
        stored = teacher.get(f"{app.url}/api/labs/{lab['id']}/runs/{pk}/metrics/").json()
        want, got = [m["seq"] for m in stored], by_run.get(pk, [])
        out["stored"] += len(want)
        out["points"] += sum(1 for m in stored if m["type"] == "metric")
        out["missing"] += len(set(want) - set(got))
        out["duplicates"] += len(got) - len(set(got))
        out["complete"] += sorted(set(got)) == want
    return out


def latencies(wall_msgs, run_ids: set, kinds=("metric",)) -> list[float]:
    return [t - m["time"] for t, m in wall_msgs if m["run"] in run_ids and m.get("type") in kinds]


def fmt(lat: list[float]) -> str:
    return f"{percentile_ms(lat, 50):.0f} / {percentile_ms(lat, 95):.0f} / {max(lat) * 1000:.0f} ms" if lat else "none"


def report(args, a, b, pages, c, delivered, wall_msgs, wall_closed) -> None:
    a_ids = {r["id"] for r in a["runs"]}
    b_ids = {r["id"] for r in b["runs"]}
    statuses = {}
    for r in a["runs"] + b["runs"] + c["runs"]:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    durations = [seconds(r["finished"]) - seconds(r["started"]) for r in a["runs"] + b["runs"]]
    print(f"\n{time.strftime('%Y-%m-%d %H:%M %Z')}, {platform.platform()}, {os.cpu_count()} CPUs, "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{args.students} students, runs per worker {args.runs_per_worker}, {args.epochs} epochs a run "
          f"(digits, 650 parameters); final statuses over all phases: {statuses}; wall socket closed: {wall_closed}")
    print(f"run duration (started -> finished) p50 {statistics.median(durations):.2f} s\n")
    print("| phase | measure | figure | goal |\n| --- | --- | ---: | ---: |")
    print(f"| A | {args.students} runs queued at once: POST answered p50 / p95 / max | {fmt(a['post_s'])} | |")
    print(f"| A | all {args.students} runs ended in | {a['elapsed']:.0f} s | |")
    for name, d in delivered.items():
        print(f"| {name} | runs whose every stored message reached the wall | {d['complete']} of {d['runs']} "
              f"({d['stored']} messages, {d['points']} points; {d['missing']} missing, "
              f"{d['duplicates']} twice) | all |")
    print(f"| A | wall latency, point made in the worker -> on the wall socket, p50 / p95 / max "
          f"({len(latencies(wall_msgs, a_ids))} points) | {fmt(latencies(wall_msgs, a_ids))} | p95 < 500 ms |")
    every = ("metric", "layers", "status")
    print(f"| A | the same over every message with a worker time (points, X-ray, statuses; "
          f"{len(latencies(wall_msgs, a_ids, every))}) | {fmt(latencies(wall_msgs, a_ids, every))} | |")
    print(f"| B | {len(b_ids)} more runs queued (4 requests in flight): POST p50 / p95 | {fmt(b['post_s'])} | |")
    print(f"| B | those runs ended in | {b['elapsed']:.0f} s ({len(b_ids) / b['elapsed']:.2f} runs/s) | |")
    print(f"| B | wall latency over phase B, p50 / p95 / max ({len(latencies(wall_msgs, b_ids))} points) | "
          f"{fmt(latencies(wall_msgs, b_ids))} | p95 < 500 ms |")
    total = len(a_ids) + len(b_ids)
    print(f"\nTeacher's pages with {args.students} students and {total} runs in the lab "
          f"({args.requests} sequential, then {args.requests} over {args.threads} threads; "
          f"teacher's session cookie):\n")
    print("| GET | bytes | sequential p50 / p95 | concurrent p50 / p95 | goal |\n| --- | ---: | ---: | ---: | ---: |")
    for name, t in pages.items():
        print(f"| {name} | {t['bytes']:,} | {percentile_ms(t['seq'], 50):.0f} / {percentile_ms(t['seq'], 95):.0f} ms | "
              f"{percentile_ms(t['conc'], 50):.0f} / {percentile_ms(t['conc'], 95):.0f} ms | p95 < 200 ms |")
    fairness(c)


def fairness(c) -> None:
    runs = sorted(c["runs"], key=lambda r: seconds(r["started"]))
    late = next(r for r in runs if r["id"] == c["late"])
    burst = [r for r in runs if r["id"] != c["late"]]
    run_s = statistics.median(seconds(r["finished"]) - seconds(r["started"]) for r in burst)
    wait = seconds(late["started"]) - seconds(late["created"])
    position = runs.index(late) + 1
    print(f"\nFairness: {burst[0]['student']} queued {len(burst)} runs, then {late['student']} queued 1 "
          f"(5 epochs each). Start order (run: student, queued -> started):\n")
    t0 = min(seconds(r["created"]) for r in runs)
    for i, r in enumerate(runs, 1):
        print(f"{i}. run {r['id']}: {r['student']}, queued +{seconds(r['created']) - t0:.2f} s, "
              f"started +{seconds(r['started']) - t0:.2f} s, ended +{seconds(r['finished']) - t0:.2f} s")
    running = [r for r in burst if seconds(r["started"]) <= seconds(late["created"])]
    freed = min(seconds(r["finished"]) for r in running) if running else seconds(late["created"])
    fifo = seconds(burst[-1]["started"]) - seconds(late["created"])
    print(f"\nthe second student's run started {position}. of {len(runs)}, {wait:.2f} s after it was queued, "
          f"{seconds(late['started']) - freed:.2f} s after the first slot came free ({len(running)} burst runs were "
          f"training when it was queued); a burst run takes {run_s:.2f} s (median); first come, first served "
          f"it would have started after all {len(burst)}, about {fifo:.1f} s after it was queued")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=60)
    ap.add_argument("--runs-per-student", type=int, default=10)
    ap.add_argument("--runs-per-worker", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--requests", type=int, default=50, help="sequential and concurrent requests per page")
    ap.add_argument("--threads", type=int, default=8)
    args = ap.parse_args()
    slots = str(args.runs_per_worker)
    # Room for the fairness burst: a student may have BURST runs waiting, and as many running as
    # there are slots, so the burst fills every slot and the second student must wait for one.
    app = LiveApp(Path(tempfile.mkdtemp(prefix="bench-lab-")), heartbeat_timeout=30,
                  LAYERLAB_RUNS_PER_WORKER=slots, LAYERLAB_TRAINING_SLOTS=slots, LAYERLAB_MAX_RUNNING_PER_USER=slots,
                  LAYERLAB_MAX_WAITING_PER_USER=str(BURST), LAYERLAB_LAB_MAX_QUEUED=str(BURST))
    app.start_worker = _worker_with(app, slots)
    app.start()
    wall, wall_closed = None, None
    try:
        teacher_name, _, teacher_token = app.signup()
        teacher = app.api(teacher_token)
        course, lab = make_lab(app, teacher, args)
        t = time.monotonic()
        students = [join(app, course, lab) for _ in range(args.students)]
        print(f"{args.students} students signed up, joined and got their designs in {time.monotonic() - t:.0f} s",
              flush=True)
        session = log_in(app, teacher_name)
        wall = Wall(app, lab["id"], session)
        a = phase_a(app, teacher, lab, wall, students, args.epochs)
        b = phase_b(app, teacher, lab, wall, students, args.runs_per_student, args.epochs)
        pages = teacher_pages(app, session, course, lab, args)
        c = phase_c(app, teacher, lab, wall, students)
        time.sleep(2)  # the last final statuses on their way to the wall
        msgs, wall_closed = wall.messages(), wall.closed
        delivered = {"A": delivery(app, teacher, lab, [r["id"] for r in a["runs"]], msgs),
                     "A+B+C": delivery(app, teacher, lab, [r["id"] for r in a["runs"] + b["runs"] + c["runs"]], msgs)}
    finally:
        if wall:
            wall.ws.close()
        app.stop()
    report(args, a, b, pages, c, delivered, msgs, wall_closed)


if __name__ == "__main__":
    main()
