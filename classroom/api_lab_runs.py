"""Runs in a lab as the API shows them: the teacher reads every member's (and may stop them),
a student reads their own."""
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from trainer.models import Run
from trainer.serializers import RunSerializer
from trainer.stream import messages_after

from . import grades
from .access import TEACHER, as_teacher, lab_for
from .models import Lab
from .serializers import TeacherRunSerializer


def lab_runs(lab: Lab, user, role: str):
    runs = Run.objects.filter(lab=lab).select_related("owner", "lab")
    return runs if role == TEACHER else runs.filter(owner=user)


class LabRuns(APIView):
    @extend_schema(responses=dict, summary="Teacher: every member's runs in the lab; student: mine", operation_id="labs_runs_list")
    def get(self, request, pk):
        lab, role = lab_for(request.user, pk)
        serializer = TeacherRunSerializer if role == TEACHER else RunSerializer
        return Response(serializer(lab_runs(lab, request.user, role), many=True).data)


class LabWall(APIView):
    @extend_schema(responses=dict, summary="Teacher: one row per student: newest run, queue position, params, best score",
                   operation_id="labs_wall")
    def get(self, request, pk):
        lab, role = lab_for(request.user, pk)
        as_teacher(role, "see the class's wall")
        return Response(grades.wall(lab))


def lab_run(request, pk, run_id) -> tuple[Run, str]:
    lab, role = lab_for(request.user, pk)
    run = lab_runs(lab, request.user, role).filter(pk=run_id).first()
    if run is None:
        raise Http404(f"no run {run_id} in this lab of yours")
    return run, role


@extend_schema(request=dict, responses=dict)
class LabRunDetail(APIView):
    def get(self, request, pk, run_id):
        run, role = lab_run(request, pk, run_id)
        return Response((TeacherRunSerializer if role == TEACHER else RunSerializer)(run).data)


class LabRunMetrics(APIView):
    @extend_schema(responses=dict, summary="A lab run's stream messages (the teacher reads students' runs)")
    def get(self, request, pk, run_id):
        run, _ = lab_run(request, pk, run_id)
        try:
            after = int(request.query_params.get("after", 0))
        except ValueError:
            raise ValidationError({"detail": "after must be a whole number (a seq)"}) from None
        return Response(messages_after(run.pk, after))


@extend_schema(request=dict, responses=dict)
class LabRunStop(APIView):
    def post(self, request, pk, run_id):
        from trainer.api import RunStop

        run, role = lab_run(request, pk, run_id)
        as_teacher(role, "stop students' runs here (students use their own run's Stop)")
        return RunStop.stop(run)
