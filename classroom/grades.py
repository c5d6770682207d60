"""The leaderboard and the grades CSV: one row per student, from the run that counts."""
import csv
import io

from django.db.models import FloatField, IntegerField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from trainer.lifecycle import queue_positions
from trainer.models import Run

from .models import Lab, LabWork
from .rules import counting_run, rank

CSV_COLUMNS = ["username", "run", "score_public", "score_private", "params", "epochs", "runs_used", "submitted",
               "late"]


# The few result fields a leaderboard needs, read by the database from each run's result JSON
# (a finished run's result also holds samples and curves: 600 of them are a megabyte to parse).
RESULT_FIELDS = {"score_public": FloatField(), "score_private": FloatField(), "params": IntegerField(),
                 "epochs": IntegerField()}


def summaries(lab: Lab) -> dict[int, list[dict]]:
    """Every lab run per student, as plain dicts: id, status, late and the RESULT_FIELDS."""
    fields = {name: Cast(KT(f"result__{name}"), kind) for name, kind in RESULT_FIELDS.items()}
    by_student: dict[int, list[dict]] = {}
    for row in Run.objects.filter(lab=lab).values("pk", "owner_id", "late", "status", **fields):
        by_student.setdefault(row.pop("owner_id"), []).append(dict(row, id=row.pop("pk")))
    return by_student


def rows(lab: Lab, students) -> list[dict]:
    """One row per student (every student given, runs or not)."""
    runs, chosen = summaries(lab), dict(LabWork.objects.filter(lab=lab).values_list("student_id", "submitted_id"))
    out = []
    for student in students:
        mine = runs.get(student.pk, [])
        best = counting_run(mine, chosen.get(student.pk)) or {}
        out.append({"student": student.username, "run": best.get("id"), "score_public": best.get("score_public"),
                    "score_private": best.get("score_private"), "params": best.get("params"),
                    "epochs": best.get("epochs"), "runs_used": len(mine),
                    "submitted": bool(best) and best.get("id") == chosen.get(student.pk), "late": best.get("late", False)})
    return out


def members(lab: Lab):
    return [m.student for m in lab.course.memberships.select_related("student")]


def leaderboard(lab: Lab) -> list[dict]:
    keep = ["student", "run", "score_public", "params", "submitted", "late"] + (["score_private"] if lab.revealed else [])
    return [{k: row[k] for k in keep} for row in rank(rows(lab, members(lab))) if row["run"] is not None]


def wall(lab: Lab) -> list[dict]:
    """The teacher's wall at a glance, one row per member (never-trained ones too): the newest run
    (status, queue position, parameters) and the best public score; the live curves come by websocket."""
    runs, positions = summaries(lab), queue_positions()
    out = []
    for student in members(lab):
        mine = runs.get(student.pk, [])
        newest = max(mine, key=lambda r: r["id"], default={})
        out.append({"student": student.username, "student_id": student.pk, "run": newest.get("id"),
                    "status": newest.get("status"), "queue_position": positions.get(newest.get("id")),
                    "params": newest.get("params"),
                    "best_public": max((r["score_public"] for r in mine if r["score_public"] is not None), default=None)})
    return out


def row_for(lab: Lab, user, revealed: bool) -> dict:
    row = rows(lab, [user])[0]
    if not revealed:
        row.pop("score_private")
    return row


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def csv_text(lab: Lab) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in sorted(rows(lab, members(lab)), key=lambda r: r["student"]):
        writer.writerow([_cell(row["student"] if c == "username" else row[c]) for c in CSV_COLUMNS])
    return buffer.getvalue()
