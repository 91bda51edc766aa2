"""Role permissions: the token's role must match and its profileId must be this user's profile of that role.
The profile is then put on `request.profile`, and every queryset of a role view is scoped by it."""

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from .selectors import profile_of

PROFILE_REQUIRED = "PROFILE_REQUIRED: для этого действия нужен профиль выбранной роли"


class _RolePermission(BasePermission):
    role = ""

    def has_permission(self, request, view) -> bool:
        if request.user is None or request.auth is None:
            return False
        profile_id = request.auth.get("profileId")
        if not profile_id:
            raise PermissionDenied(PROFILE_REQUIRED)
        if request.auth.get("role") != self.role:
            raise PermissionDenied("Forbidden resource")
        profile = profile_of(request.user, self.role)
        if profile is None or str(profile.id) != str(profile_id):
            raise PermissionDenied(PROFILE_REQUIRED)
        request.profile = profile
        return True


class IsTeacher(_RolePermission):
    role = "teacher"


class IsStudent(_RolePermission):
    role = "student"


class IsParent(_RolePermission):
    role = "parent"
