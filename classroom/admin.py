from django.contrib import admin

from .models import Course, Lab, LabWork, Membership


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "teacher", "join_code", "created")
    search_fields = ("name", "join_code")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("course", "student", "joined")
    list_filter = ("course",)


@admin.register(Lab)
class LabAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "course", "dataset", "deadline", "published", "revealed")
    list_filter = ("published", "revealed", "course")


@admin.register(LabWork)
class LabWorkAdmin(admin.ModelAdmin):
    list_display = ("lab", "student", "design", "submitted")
