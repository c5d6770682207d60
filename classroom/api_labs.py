"""Labs: one lab, copies, the student's design, runs, submit, leaderboard, reveal, grades."""
import copy

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from builder.models import Graph
from builder.serializers import GraphSerializer
from trainer.models import Run

from . import grades
from .access import as_student, as_teacher, course_for, lab_for
from .models import Lab, LabWork
from .serializers import LabSerializer


@extend_schema(request=dict, responses=dict)
class LabDetail(APIView):
    def get(self, request, pk):
        lab, _ = lab_for(request.user, pk)
        return Response(LabSerializer(lab).data)

    @extend_schema(request=LabSerializer, responses=LabSerializer)
    def patch(self, request, pk):
        lab, role = lab_for(request.user, pk)
        as_teacher(role)
        changing_split = {"dataset", "public_fraction"} & set(request.data if isinstance(request.data, dict) else {})
        if changing_split and lab.runs.exists():
            return Response({"detail": "the lab already has runs scored on its dataset and hidden split; "
                                       "copy the lab to change them"}, status=409)
        body = LabSerializer(lab, data=request.data, partial=True, context={"teacher": lab.course.teacher})
        body.is_valid(raise_exception=True)
        return Response(LabSerializer(body.save()).data)

    def delete(self, request, pk):
        lab, role = lab_for(request.user, pk)
        as_teacher(role, "delete it")
        live = lab.runs.filter(status__in=(Run.QUEUED, Run.RUNNING)).count()
        if live:  # they would finish outside the lab, unscored
            return Response({"detail": f"{live} run(s) in this lab are still queued or running: stop them "
                                       "(or wait for them) before deleting the lab"}, status=409)
        lab.delete()
        return Response(status=204)


class LabCopy(APIView):
    @extend_schema(request=dict, responses=LabSerializer, summary="Copy a lab into another course of mine")
    def post(self, request, pk):
        lab, role = lab_for(request.user, pk)
        as_teacher(role, "copy it")
        target = request.data.get("course", lab.course_id) if isinstance(request.data, dict) else None
        if isinstance(target, bool) or not isinstance(target, int):
            raise ValidationError({"detail": "give the id of the course to copy into as {\"course\": ID}"})
        course, target_role = course_for(request.user, target)
        as_teacher(target_role, "add labs to that course")
        new = Lab.objects.get(pk=lab.pk)
        new.pk, new.course, new.published, new.revealed = None, course, False, False
        new.save()
        return Response(LabSerializer(new).data, status=201)


def my_design(lab: Lab, user) -> Graph:
    work, _ = LabWork.objects.get_or_create(lab=lab, student=user)
    if work.design is None:
        document = dict(copy.deepcopy(lab.starter), name=lab.title[:100])
        work.design = Graph.objects.create(owner=user, name=lab.title[:100], document=document)
        work.save(update_fields=["design"])
    return work.design


def lab_info(lab: Lab) -> dict:
    return {"id": lab.pk, "title": lab.title, "locked": lab.locked, "allowed_blocks": lab.allowed_blocks}


class LabDesign(APIView):
    @extend_schema(responses=dict, summary="Student: my copy of the starter, made on first call")
    def get(self, request, pk):
        lab, role = lab_for(request.user, pk)
        as_student(role, "get a copy of the starter (the teacher edits the lab itself)")
        return Response(dict(GraphSerializer(my_design(lab, request.user)).data, lab=lab_info(lab)))


class StudentDesign(APIView):
    @extend_schema(responses=dict, summary="Teacher: a student's lab design, read-only")
    def get(self, request, pk, user_id):
        lab, role = lab_for(request.user, pk)
        as_teacher(role, "read students' designs")
        work = LabWork.objects.filter(lab=lab, student_id=user_id, design__isnull=False).first()
        if work is None:
            raise NotFound(f"student {user_id} has no design in this lab")
        return Response(dict(GraphSerializer(work.design).data, lab=lab_info(lab), student=work.student.username))


class LabSubmit(APIView):
    @extend_schema(request=dict, responses=dict, summary="Student: choose the run that counts")
    def post(self, request, pk):
        lab, role = lab_for(request.user, pk)
        as_student(role, "submit a run")
        run_id = request.data.get("run") if isinstance(request.data, dict) else None
        if run_id is not None and (isinstance(run_id, bool) or not isinstance(run_id, int)):
            raise ValidationError({"detail": "give the id of one of your runs in this lab as {\"run\": ID}, "
                                             "or null to count your best"})
        run = Run.objects.filter(pk=run_id, lab=lab, owner=request.user).first() if run_id else None
        if run_id and run is None:
            raise NotFound(f"no run {run_id} of yours in this lab")
        if run and (run.result or {}).get("score_public") is None:
            raise ValidationError({"detail": f"run {run.pk} has no score yet (it is {run.status}); "
                                             "submit a finished run"})
        work, _ = LabWork.objects.get_or_create(lab=lab, student=request.user)
        work.submitted = run
        work.save(update_fields=["submitted"])
        return Response(grades.row_for(lab, request.user, revealed=lab.revealed))


class LabLeaderboard(APIView):
    @extend_schema(responses=dict, summary="Best first; score_private once revealed")
    def get(self, request, pk):
        lab, role = lab_for(request.user, pk)
        return Response(grades.leaderboard(lab))


@extend_schema(request=dict, responses=dict)
class LabReveal(APIView):
    def post(self, request, pk):
        lab, role = lab_for(request.user, pk)
        as_teacher(role, "reveal private scores")
        Lab.objects.filter(pk=lab.pk).update(revealed=True)
        lab.refresh_from_db()
        return Response(LabSerializer(lab).data)


class LabGrades(APIView):
    @extend_schema(responses=str, summary="Teacher: one CSV row per student")
    def get(self, request, pk):
        lab, role = lab_for(request.user, pk)
        as_teacher(role, "download grades")
        response = HttpResponse(grades.csv_text(lab), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="lab-{lab.pk}-grades.csv"'
        return response
