from django.urls import path

from . import pages

urlpatterns = [
    path("courses/", pages.courses, name="courses"),
    path("courses/<int:course_id>/", pages.course, name="course"),
    path("courses/<int:course_id>/labs/new/", pages.lab_editor, name="lab-new"),
    path("courses/<int:course_id>/labs/<int:lab_id>/edit/", pages.lab_editor, name="lab-edit"),
    path("labs/<int:lab_id>/", pages.lab, name="lab"),
    path("labs/<int:lab_id>/wall/", pages.wall, name="wall"),
    path("join/<str:code>/", pages.join, name="join"),
]
