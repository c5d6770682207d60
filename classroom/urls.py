from django.urls import path

from . import api_courses as courses
from . import api_lab_runs as lab_runs
from . import api_labs as labs

urlpatterns = [
    path("courses/", courses.CourseList.as_view(), name="course-list"),
    path("courses/join/", courses.CourseJoin.as_view(), name="course-join"),
    path("courses/<int:pk>/", courses.CourseDetail.as_view(), name="course-detail"),
    path("courses/<int:pk>/code/", courses.CourseCode.as_view(), name="course-code"),
    path("courses/<int:pk>/members/", courses.MemberList.as_view(), name="course-members"),
    path("courses/<int:pk>/members/<int:user_id>/", courses.MemberDetail.as_view(), name="course-member"),
    path("courses/<int:pk>/labs/", courses.CourseLabs.as_view(), name="course-labs"),
    path("labs/<int:pk>/", labs.LabDetail.as_view(), name="lab-detail"),
    path("labs/<int:pk>/copy/", labs.LabCopy.as_view(), name="lab-copy"),
    path("labs/<int:pk>/design/", labs.LabDesign.as_view(), name="lab-design"),
    path("labs/<int:pk>/designs/<int:user_id>/", labs.StudentDesign.as_view(), name="lab-student-design"),
    path("labs/<int:pk>/runs/", lab_runs.LabRuns.as_view(), name="lab-runs"),
    path("labs/<int:pk>/wall/", lab_runs.LabWall.as_view(), name="lab-wall"),
    path("labs/<int:pk>/runs/<int:run_id>/", lab_runs.LabRunDetail.as_view(), name="lab-run"),
    path("labs/<int:pk>/runs/<int:run_id>/metrics/", lab_runs.LabRunMetrics.as_view(), name="lab-run-metrics"),
    path("labs/<int:pk>/runs/<int:run_id>/stop/", lab_runs.LabRunStop.as_view(), name="lab-run-stop"),
    path("labs/<int:pk>/submit/", labs.LabSubmit.as_view(), name="lab-submit"),
    path("labs/<int:pk>/leaderboard/", labs.LabLeaderboard.as_view(), name="lab-leaderboard"),
    path("labs/<int:pk>/reveal/", labs.LabReveal.as_view(), name="lab-reveal"),
    path("labs/<int:pk>/grades.csv", labs.LabGrades.as_view(), name="lab-grades"),
]
