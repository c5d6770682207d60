from django.contrib import admin

from .models import Dataset, Run, RunMessage


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "owner", "kind", "input_shape", "train_size", "test_size", "created")
    list_filter = ("kind", "owner")
    search_fields = ("name",)


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "dataset", "status", "device", "created", "finished")
    list_filter = ("status", "owner", "dataset")


@admin.register(RunMessage)
class RunMessageAdmin(admin.ModelAdmin):
    list_display = ("run", "seq")
    list_filter = ("run",)
