from django.contrib import admin

from .models import Lesson, LessonSeries, LessonStudent, SeriesStudent, Subject


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "color_hex", "teacher", "archived_at", "created_at")
    list_filter = (("archived_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("name", "code", "teacher__display_name")
    list_select_related = ("teacher",)
    raw_id_fields = ("teacher",)


class SeriesStudentInline(admin.TabularInline):
    model = SeriesStudent
    extra = 0
    raw_id_fields = ("student",)


@admin.register(LessonSeries)
class LessonSeriesAdmin(admin.ModelAdmin):
    list_display = ("id", "teacher", "subject", "frequency", "days_of_week", "time_of_day", "timezone", "created_at")
    list_filter = ("frequency", "is_free", "created_at")
    search_fields = ("teacher__display_name", "subject__name", "id")
    list_select_related = ("teacher", "subject")
    raw_id_fields = ("teacher", "subject")
    inlines = [SeriesStudentInline]


class LessonStudentInline(admin.TabularInline):
    model = LessonStudent
    extra = 0
    raw_id_fields = ("student", "subscription")
    fields = (
        "student",
        "price_rub",
        "attendance",
        "rating",
        "payment_status",
        "payment_type",
        "paid_from_subscription",
        "subscription",
    )


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ("start_at", "teacher", "subject", "duration_minutes", "price_rub", "status", "series")
    list_filter = ("status", "is_free", "start_at", "teacher")
    date_hierarchy = "start_at"
    search_fields = ("id", "teacher__display_name", "subject__name", "teacher_note", "lesson_report")
    list_select_related = ("teacher", "subject", "series")
    raw_id_fields = ("teacher", "subject", "series")
    inlines = [LessonStudentInline]


@admin.register(LessonStudent)
class LessonStudentAdmin(admin.ModelAdmin):
    list_display = ("lesson", "student", "price_rub", "attendance", "rating", "payment_status", "payment_type")
    list_filter = ("attendance", "payment_status", "payment_type", "paid_from_subscription", "lesson__start_at")
    search_fields = ("student__user__first_name", "student__user__last_name", "student__user__username", "lesson__id")
    list_select_related = ("lesson", "lesson__subject", "student__user")
    raw_id_fields = ("lesson", "student", "subscription")
