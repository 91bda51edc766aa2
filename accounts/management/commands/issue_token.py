"""Local development: create (if missing) a Telegram user with a profile and print a JWT as the last line."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User
from accounts.selectors import users_with_profiles
from accounts.services.users import profile_ensure
from accounts.tokens import issue_tokens


class Command(BaseCommand):
    help = "Create the user and profile if missing and print an access token for that role (last line)."

    def add_arguments(self, parser):
        parser.add_argument("--telegram-id", type=int, required=True)
        parser.add_argument("--role", choices=["teacher", "student", "parent"], required=True)
        parser.add_argument("--first-name", default="")

    @transaction.atomic
    def handle(self, *args, telegram_id, role, first_name, **options):
        if telegram_id <= 0:
            raise CommandError("--telegram-id must be positive")
        user = users_with_profiles().filter(telegram_id=telegram_id).first()
        if user is None:
            user = User.objects.create_user(telegram_id=telegram_id, first_name=first_name or f"User{telegram_id}")
            self.stderr.write(f"created user {user.pk}")
        elif user.deleted_at is not None:
            raise CommandError("that user is soft-deleted; restore the account first")
        profile, created = profile_ensure(user=user, role=role)
        if created:
            self.stderr.write(f"created {role} profile {profile.pk}")
        self.stdout.write(issue_tokens(user, role)["token"])
