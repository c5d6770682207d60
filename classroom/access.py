"""Who may see what: a non-member gets 404 for everything in a course; only the teacher changes it."""
from django.http import Http404
from rest_framework.exceptions import PermissionDenied

from .models import Course, Lab, Membership

TEACHER, STUDENT = "teacher", "student"


def course_role(user, course: Course) -> str | None:
    if course.teacher_id == user.pk:
        return TEACHER
    if Membership.objects.filter(course=course, student=user).exists():
        return STUDENT
    return None


def course_for(user, pk) -> tuple[Course, str]:
    course = Course.objects.filter(pk=pk).first()
    role = course_role(user, course) if course else None
    if role is None:
        raise Http404(f"no course {pk} of yours")
    return course, role


def lab_for(user, pk) -> tuple[Lab, str]:
    """The lab and my role in its course; students see published labs only."""
    lab = Lab.objects.select_related("course").filter(pk=pk).first()
    role = course_role(user, lab.course) if lab else None
    if role is None or (role == STUDENT and not lab.published):
        raise Http404(f"no lab {pk} of yours")
    return lab, role


def as_teacher(role: str, what: str = "change it") -> None:
    if role != TEACHER:
        raise PermissionDenied(f"only the course's teacher can {what}")


def as_student(role: str, what: str) -> None:
    if role != STUDENT:
        raise PermissionDenied(f"only a student of the course can {what}")
