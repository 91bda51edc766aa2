"""Response shapes of the roster API (teacher's students, the student's and the parent's areas) for the OpenAPI
schema. The selectors build these bodies as dicts; the suite validates every real response against them."""

from rest_framework import serializers

from accounts.models import LateCancelPolicy
from lessons.output import CANCEL_OUTCOME, CANCELLED_BY
from lessons.serializers import ATTENDANCE, PAYMENT_STATUS, PAYMENT_TYPE, STATUS
from subscriptions.serializers import SubscriptionOutSerializer

# ---- shared pieces


class UserInfoOut(serializers.Serializer):
    id = serializers.UUIDField()
    firstName = serializers.CharField()
    lastName = serializers.CharField()
    username = serializers.CharField()


class AttendanceStatsOut(serializers.Serializer):
    totalLessonsPlanned = serializers.IntegerField()
    totalLessonsAttended = serializers.IntegerField()
    totalLessonsMissed = serializers.IntegerField()
    cancelledByStudent = serializers.IntegerField()
    cancelledByTeacher = serializers.IntegerField()
    cancelledByIllness = serializers.IntegerField()
    attendanceRate = serializers.IntegerField(help_text="percent, 0-100")


class DebtOut(serializers.Serializer):
    hasDebt = serializers.BooleanField()
    unpaidLessonsCount = serializers.IntegerField()
    unpaidAmountRub = serializers.IntegerField()


class DebtLessonOut(serializers.Serializer):
    lessonId = serializers.UUIDField()
    startAt = serializers.DateTimeField()
    priceRub = serializers.IntegerField()
    subjectName = serializers.CharField(allow_blank=True)


class DetailedDebtOut(DebtOut):
    lessons = DebtLessonOut(many=True)


class SubjectChipOut(serializers.Serializer):
    subjectId = serializers.UUIDField()
    name = serializers.CharField()
    colorHex = serializers.CharField()


class SubjectStatsOut(serializers.Serializer):
    subjectId = serializers.UUIDField()
    subjectName = serializers.CharField(allow_blank=True)
    colorHex = serializers.CharField()
    lessonsPlanned = serializers.IntegerField()
    lessonsAttended = serializers.IntegerField()
    attendanceRate = serializers.IntegerField()


class InviteLinkOut(serializers.Serializer):
    inviteUrl = serializers.URLField()
    fallbackUrl = serializers.URLField(help_text="t.me deep link")


class InvitationCreatedOut(serializers.Serializer):
    invitationId = serializers.UUIDField()
    token = serializers.CharField()
    inviteUrl = serializers.URLField()
    expiresAt = serializers.DateTimeField()


class ProfileUserOut(serializers.Serializer):
    telegramId = serializers.IntegerField(allow_null=True)
    firstName = serializers.CharField()
    lastName = serializers.CharField()
    username = serializers.CharField()
    timezone = serializers.CharField()


class OwnProfileOut(serializers.Serializer):
    """GET/PATCH /api/students/me and /api/parents/me."""

    id = serializers.UUIDField()
    userId = serializers.UUIDField()
    user = ProfileUserOut()
    customFields = serializers.JSONField(allow_null=True)
    timezone = serializers.CharField()
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()


# ---- the teacher's students


class TeacherMeOut(serializers.Serializer):
    id = serializers.UUIDField()
    displayName = serializers.CharField()
    bio = serializers.CharField(allow_blank=True)
    referralCode = serializers.CharField()
    inviteUrl = serializers.URLField()
    city = serializers.CharField(allow_blank=True)
    timezone = serializers.CharField()
    cancelCutoffHours = serializers.IntegerField(help_text="a cancel later than this before the start is late")
    lateCancelPolicy = serializers.ChoiceField(choices=[c for c, _ in LateCancelPolicy.choices])
    teacherCancelGivesCredit = serializers.BooleanField()
    makeUpCreditDays = serializers.IntegerField()


class TeacherInviteLinkOut(InviteLinkOut):
    referralCode = serializers.CharField()


class StudentCardOut(serializers.Serializer):
    studentId = serializers.UUIDField()
    studentUser = UserInfoOut()
    customFields = serializers.JSONField(allow_null=True, help_text="the teacher's private notes")
    subjects = SubjectChipOut(many=True)
    stats = AttendanceStatsOut()
    debt = DebtOut()
    subscription = SubscriptionOutSerializer(allow_null=True, help_text="the active package, if any")
    lastLessonAt = serializers.DateTimeField(allow_null=True)
    nextLessonAt = serializers.DateTimeField(allow_null=True)
    createdAt = serializers.DateTimeField()


class StudentCardsOut(serializers.Serializer):
    students = StudentCardOut(many=True)
    archivedCount = serializers.IntegerField()


class ArchivedStudentOut(serializers.Serializer):
    studentId = serializers.UUIDField()
    studentUser = UserInfoOut()
    customFields = serializers.JSONField(allow_null=True)
    archivedAt = serializers.DateTimeField()
    deleteAt = serializers.DateTimeField(help_text="when the archived link and its data are purged")
    daysLeft = serializers.IntegerField()
    createdAt = serializers.DateTimeField()


class ParentInviteOut(serializers.Serializer):
    code = serializers.CharField()
    url = serializers.URLField()


class StudentDetailOut(serializers.Serializer):
    studentId = serializers.UUIDField()
    studentUser = UserInfoOut()
    customFields = serializers.JSONField(allow_null=True)
    stats = AttendanceStatsOut()
    debt = DebtOut()
    subscription = SubscriptionOutSerializer(allow_null=True)
    parentInvite = ParentInviteOut(allow_null=True, help_text="null: a tutor never sees the family's parent code")
    archivedAt = serializers.DateTimeField(allow_null=True)
    createdAt = serializers.DateTimeField()


class StudentArchivedOut(serializers.Serializer):
    success = serializers.BooleanField()
    action = serializers.ChoiceField(choices=["archived"])
    restoreUntil = serializers.DateTimeField()


class StudentParentOut(serializers.Serializer):
    parentId = serializers.UUIDField()
    parentUser = UserInfoOut()
    notificationsEnabled = serializers.BooleanField()
    createdAt = serializers.DateTimeField()


class ParentNotificationsOut(serializers.Serializer):
    success = serializers.BooleanField()
    notificationsEnabled = serializers.BooleanField()


class LessonSubjectOut(serializers.Serializer):
    name = serializers.CharField()
    colorHex = serializers.CharField()


class TeacherStudentLessonOut(serializers.Serializer):
    """One lesson of one student as the teacher sees that student's row."""

    id = serializers.UUIDField()
    seriesId = serializers.UUIDField(allow_null=True)
    subjectId = serializers.UUIDField(allow_null=True)
    startAt = serializers.DateTimeField()
    durationMinutes = serializers.IntegerField()
    priceRub = serializers.IntegerField()
    isFree = serializers.BooleanField()
    status = serializers.ChoiceField(choices=STATUS)
    cancelledBy = serializers.ChoiceField(choices=CANCELLED_BY, allow_null=True)
    teacherNote = serializers.CharField(allow_null=True)
    teacherNoteUpdatedAt = serializers.DateTimeField(allow_null=True)
    lessonReport = serializers.CharField(allow_null=True)
    studentNoteForTeacher = serializers.CharField(allow_null=True)
    attendance = serializers.ChoiceField(choices=ATTENDANCE)
    rating = serializers.IntegerField(allow_null=True)
    paymentStatus = serializers.ChoiceField(choices=PAYMENT_STATUS)
    paymentType = serializers.ChoiceField(choices=PAYMENT_TYPE)
    paidFromSubscription = serializers.BooleanField()
    subject = LessonSubjectOut(allow_null=True)


class NextLessonOut(serializers.Serializer):
    date = serializers.DateTimeField()
    dayOfWeek = serializers.CharField(help_text="short Russian weekday in the teacher's zone")
    subjectName = serializers.CharField(allow_blank=True)


class StudentCardStatsOut(serializers.Serializer):
    debt = DebtOut()
    nextLesson = NextLessonOut(allow_null=True)


class MissedLessonOut(serializers.Serializer):
    lessonId = serializers.UUIDField()
    startAt = serializers.DateTimeField()
    subjectName = serializers.CharField(allow_blank=True)


class UpcomingLessonOut(MissedLessonOut):
    colorHex = serializers.CharField()


class StudentDetailedStatsOut(serializers.Serializer):
    debt = DetailedDebtOut()
    attendance = AttendanceStatsOut()
    bySubject = SubjectStatsOut(many=True)
    recentMissedLessons = MissedLessonOut(many=True)
    upcomingLessons = UpcomingLessonOut(many=True)


# ---- the student's area


class StudentInviteLinkOut(InviteLinkOut):
    parentInviteCode = serializers.CharField()


class StudentTeacherOut(serializers.Serializer):
    teacherId = serializers.UUIDField()
    teacherUser = UserInfoOut()
    displayName = serializers.CharField()
    bio = serializers.CharField(allow_blank=True)
    archivedAt = serializers.DateTimeField(allow_null=True)
    subjects = SubjectChipOut(many=True)


class StudentTeacherDetailOut(StudentTeacherOut):
    statsWithTeacher = AttendanceStatsOut()


class LessonTeacherOut(serializers.Serializer):
    firstName = serializers.CharField()
    lastName = serializers.CharField()
    username = serializers.CharField(required=False, help_text="in a lesson's detail only")


class OptionalLessonSubjectOut(serializers.Serializer):
    """{} for a lesson without a subject."""

    name = serializers.CharField(required=False)
    colorHex = serializers.CharField(required=False)


class OwnLessonOut(serializers.Serializer):
    """A lesson as a student or a parent sees it: their own row only, never other students' data."""

    id = serializers.UUIDField()
    seriesId = serializers.UUIDField(allow_null=True)
    teacherId = serializers.UUIDField()
    subjectId = serializers.UUIDField(allow_null=True)
    startAt = serializers.DateTimeField()
    durationMinutes = serializers.IntegerField()
    status = serializers.ChoiceField(choices=STATUS)
    cancelledBy = serializers.ChoiceField(choices=CANCELLED_BY, allow_null=True)
    attendance = serializers.ChoiceField(choices=ATTENDANCE)
    paymentStatus = serializers.ChoiceField(choices=PAYMENT_STATUS)
    cancelOutcome = serializers.ChoiceField(choices=CANCEL_OUTCOME, allow_null=True)
    cancelNote = serializers.CharField(allow_blank=True)
    confirmedAt = serializers.DateTimeField(allow_null=True)
    teacherNote = serializers.CharField(allow_null=True)
    lessonReport = serializers.CharField(allow_null=True)
    meetingUrl = serializers.CharField(allow_null=True)
    isGroupLesson = serializers.BooleanField()
    totalStudentsCount = serializers.IntegerField()
    otherStudentsCount = serializers.IntegerField()
    teacher = LessonTeacherOut()
    subject = OptionalLessonSubjectOut()


class StudentLessonOut(OwnLessonOut):
    studentNotePrivate = serializers.CharField(allow_null=True)
    studentNoteForTeacher = serializers.CharField(allow_null=True)
    reminderMinutesBefore = serializers.IntegerField(allow_null=True)


class StudentLessonDetailOut(StudentLessonOut):
    priceRub = serializers.IntegerField()
    rating = serializers.IntegerField(allow_null=True)
    paymentType = serializers.ChoiceField(choices=PAYMENT_TYPE)
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()


class StreakOut(serializers.Serializer):
    current = serializers.IntegerField()
    max = serializers.IntegerField()


class AchievementOut(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    icon = serializers.CharField()
    earnedAt = serializers.DateTimeField(allow_null=True)
    progress = serializers.IntegerField()
    target = serializers.IntegerField()


class StudentStatsOut(serializers.Serializer):
    total = AttendanceStatsOut()
    bySubject = SubjectStatsOut(many=True)
    streak = StreakOut()
    achievements = AchievementOut(many=True)


class StudentNotificationSettingsOut(serializers.Serializer):
    defaultReminderMinutesBefore = serializers.IntegerField()
    enableLessonReminders = serializers.BooleanField()
    enableLessonReports = serializers.BooleanField()


# ---- the parent's area


class ChildTeacherRefOut(serializers.Serializer):
    teacherId = serializers.UUIDField()
    teacherName = serializers.CharField()


class ChildCardOut(serializers.Serializer):
    childId = serializers.UUIDField()
    childUser = UserInfoOut()
    teachers = ChildTeacherRefOut(many=True)
    notificationsEnabled = serializers.BooleanField()
    stats = AttendanceStatsOut()
    debt = DebtOut()


class ChildTeacherOut(serializers.Serializer):
    teacherId = serializers.UUIDField()
    teacherUser = UserInfoOut()
    displayName = serializers.CharField()
    bio = serializers.CharField(allow_blank=True)
    subjects = SubjectChipOut(many=True)
    statsWithTeacher = AttendanceStatsOut()


class ChildTeacherDetailOut(ChildTeacherOut):
    debt = DebtOut()


class TeacherStatsOut(serializers.Serializer):
    teacherId = serializers.UUIDField()
    teacherName = serializers.CharField()
    lessonsPlanned = serializers.IntegerField()
    lessonsAttended = serializers.IntegerField()
    attendanceRate = serializers.IntegerField()


class ChildStatsOut(serializers.Serializer):
    total = AttendanceStatsOut()
    bySubject = SubjectStatsOut(many=True)
    byTeacher = TeacherStatsOut(many=True)
    currentStreak = serializers.IntegerField()
    maxStreak = serializers.IntegerField()


class ChildDetailOut(serializers.Serializer):
    childId = serializers.UUIDField()
    childUser = UserInfoOut()
    teachers = ChildTeacherOut(many=True)
    stats = ChildStatsOut()
    debt = DebtOut()
    notificationsEnabled = serializers.BooleanField()


class ParentLessonOut(OwnLessonOut):
    priceRub = serializers.IntegerField()


class ParentLessonDetailOut(ParentLessonOut):
    rating = serializers.IntegerField(allow_null=True)
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()


class TeacherDebtOut(DetailedDebtOut):
    teacherId = serializers.UUIDField()
    teacherName = serializers.CharField()


class ChildDebtOut(serializers.Serializer):
    totalDebt = DebtOut()
    byTeacher = TeacherDebtOut(many=True)


class ChildNotificationOut(serializers.Serializer):
    childId = serializers.UUIDField()
    notificationsEnabled = serializers.BooleanField()


class ChildNotificationSettingOut(ChildNotificationOut):
    childName = serializers.CharField()


class ParentNotificationSettingsOut(serializers.Serializer):
    children = ChildNotificationSettingOut(many=True)
