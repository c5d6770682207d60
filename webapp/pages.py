"""Server-rendered pages; each page's behaviour is one ES module under static/js/."""
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.http import Http404
from django.shortcuts import redirect, render

from builder.models import Graph
from trainer.api import serializer_context
from trainer.models import Dataset, Run
from trainer.serializers import RunSerializer

LIVE = (Run.QUEUED, Run.RUNNING)


def best_accuracy(run: Run):
    result = run.result or {}
    return result.get("test_accuracy", result.get("best_val_accuracy"))


def home(request):
    if not request.user.is_authenticated:
        return render(request, "home.html")
    runs = list(Run.objects.filter(owner=request.user)[:20])
    for run in runs:
        run.best = best_accuracy(run)
        run.live = run.status in LIVE
        run.name = (run.document or {}).get("name") or f"run {run.pk}"
    return render(request, "home.html", {
        "graphs": Graph.objects.filter(owner=request.user)[:50],
        "runs": runs,
        "datasets": Dataset.objects.filter(owner=request.user),
    })


def editor(request, graph_id=None):
    if graph_id is not None and not Graph.objects.filter(pk=graph_id, owner=request.user.pk).exists():
        raise Http404("no such design of yours")
    return render(request, "editor.html", {"graph_id": graph_id or ""})


@login_required
def run_page(request, run_id):
    run = Run.objects.filter(pk=run_id, owner=request.user).first()
    if run is None:
        raise Http404("no such run of yours")
    name = (run.document or {}).get("name") or f"run {run.pk}"
    # The run as GET /api/runs/<id>/ gives it, in the page: its scripts start without a request of their own.
    data = RunSerializer(run, context=serializer_context()).data
    return render(request, "run.html", {"run": run, "name": name, "run_data": data})


@login_required
def compare(request):
    return render(request, "compare.html", {"ids": request.GET.get("ids", "")})


@login_required
def datasets(request):
    return render(request, "datasets.html")


def signup(request):
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # A new account logs in without a password check, so no lockout backend is involved.
        login(request, form.save(), backend="django.contrib.auth.backends.ModelBackend")
        return redirect("home")
    return render(request, "registration/signup.html", {"form": form})


def not_found(request, exception=None):
    return render(request, "404.html", {"message": str(exception or "")}, status=404)
