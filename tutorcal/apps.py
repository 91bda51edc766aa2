from django.apps import AppConfig


class TutorcalConfig(AppConfig):
    """The project package is an app only to host project-wide management commands (backup, restore…)."""

    name = "tutorcal"
    verbose_name = "Tutor Calendar"
