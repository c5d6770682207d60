"""The classroom's pages: each is a template plus one ES module; 404 for anyone outside the course."""
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from markdown_it import MarkdownIt

from .access import TEACHER, course_for, lab_for
from .models import Course, Membership

# Teachers write Markdown; raw HTML in it is shown as text, never run ("html": False).
MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_markdown(text: str) -> str:
    return MARKDOWN.render(text or "")


@login_required
def courses(request):
    return render(request, "classroom/courses.html")


@login_required
def course(request, course_id):
    course, role = course_for(request.user, course_id)
    return render(request, "classroom/course.html", {"course": course, "role": role})


@login_required
def lab_editor(request, course_id, lab_id=None):
    course, role = course_for(request.user, course_id)
    if role != TEACHER or (lab_id and not course.labs.filter(pk=lab_id).exists()):
        raise Http404("no such lab of yours to edit")
    return render(request, "classroom/lab_edit.html", {"course": course, "lab_id": lab_id or ""})


@login_required
def lab(request, lab_id):
    lab, role = lab_for(request.user, lab_id)
    return render(request, "classroom/lab.html", {"lab": lab, "role": role,
                                                  "instructions": render_markdown(lab.instructions)})


@login_required
def wall(request, lab_id):
    lab, role = lab_for(request.user, lab_id)
    if role != TEACHER:
        raise Http404("no such lab of yours")
    return render(request, "classroom/wall.html", {"lab": lab})


@login_required
def join(request, code):
    course = Course.objects.filter(join_code=code.upper()).first()
    if course is None:
        raise Http404("no course has that join code; check it with your teacher")
    if course.teacher_id != request.user.pk:
        Membership.objects.get_or_create(course=course, student=request.user)
    return redirect("course", course_id=course.pk)
