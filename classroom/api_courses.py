"""Courses: create, join by code, rotate the code, members. A REST shell over the models."""
from django.db import IntegrityError, transaction
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from .access import STUDENT, TEACHER, as_teacher, course_for
from .models import Course, Membership, new_join_code
from .serializers import CourseRequest, LabSerializer, course_json


def check_body(serializer_class, data, **kwargs):
    body = serializer_class(data=data, **kwargs)
    body.is_valid(raise_exception=True)
    return body


class CourseList(APIView):
    @extend_schema(request=CourseRequest, responses=dict, summary="My courses, as teacher or student", operation_id="courses_list")
    def get(self, request):
        taught = [course_json(c, TEACHER) for c in Course.objects.filter(teacher=request.user)]
        joined = [course_json(m.course, STUDENT) for m in
                  Membership.objects.filter(student=request.user).select_related("course", "course__teacher")]
        return Response(taught + joined)

    @extend_schema(request=CourseRequest, responses=dict, summary="Create a course; I am its teacher")
    def post(self, request):
        body = check_body(CourseRequest, request.data)
        course = Course.objects.create(teacher=request.user, name=body.validated_data["name"].strip())
        return Response(course_json(course, TEACHER), status=201)


@extend_schema(request=dict, responses=dict)
class CourseDetail(APIView):
    def get(self, request, pk):
        course, role = course_for(request.user, pk)
        return Response(course_json(course, role))

    @extend_schema(request=CourseRequest, responses=dict)
    def patch(self, request, pk):
        course, role = course_for(request.user, pk)
        as_teacher(role)
        course.name = check_body(CourseRequest, request.data).validated_data["name"].strip()
        course.save(update_fields=["name"])
        return Response(course_json(course, role))

    def delete(self, request, pk):
        course, role = course_for(request.user, pk)
        as_teacher(role, "delete it")
        course.delete()
        return Response(status=204)


class CourseJoin(APIView):
    @extend_schema(request=dict, responses=dict, summary="Join a course by its code")
    def post(self, request):
        code = request.data.get("code") if isinstance(request.data, dict) else None
        if not isinstance(code, str) or not code.strip():
            raise ValidationError({"detail": "give the course's join code as {\"code\": \"...\"}"})
        course = Course.objects.filter(join_code=code.strip().upper()).first()
        if course is None:
            raise NotFound("no course has that join code; check it with your teacher")
        if course.teacher_id == request.user.pk:
            raise ValidationError({"detail": "you teach this course; share the code with your students"})
        Membership.objects.get_or_create(course=course, student=request.user)
        return Response(course_json(course, STUDENT))


@extend_schema(request=dict, responses=dict)
class CourseCode(APIView):
    def post(self, request, pk):
        course, role = course_for(request.user, pk)
        as_teacher(role, "change the join code")
        for _ in range(5):
            try:
                with transaction.atomic():
                    course.join_code = new_join_code()
                    course.save(update_fields=["join_code"])
                break
            except IntegrityError:  # the new code was taken: draw another
                continue
        return Response(course_json(course, role))


@extend_schema(request=dict, responses=dict)
class MemberList(APIView):
    def get(self, request, pk):
        course, role = course_for(request.user, pk)
        as_teacher(role, "list the students")
        return Response([{"id": m.student_id, "username": m.student.username, "joined": m.joined}
                         for m in course.memberships.select_related("student")])


@extend_schema(request=dict, responses=dict)
class MemberDetail(APIView):
    def delete(self, request, pk, user_id):
        course, role = course_for(request.user, pk)
        as_teacher(role, "remove students")
        if not Membership.objects.filter(course=course, student_id=user_id).delete()[0]:
            raise NotFound(f"no student {user_id} in this course")
        return Response(status=204)


class CourseLabs(APIView):
    @extend_schema(request=LabSerializer, responses=LabSerializer)
    def get(self, request, pk):
        course, role = course_for(request.user, pk)
        labs = course.labs.all() if role == TEACHER else course.labs.filter(published=True)
        return Response(LabSerializer(labs, many=True).data)

    @extend_schema(request=LabSerializer, responses=LabSerializer)
    def post(self, request, pk):
        course, role = course_for(request.user, pk)
        as_teacher(role, "add labs")
        body = check_body(LabSerializer, request.data, context={"teacher": request.user})
        lab = body.save(course=course)
        return Response(LabSerializer(lab).data, status=201)
