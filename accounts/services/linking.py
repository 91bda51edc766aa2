"""One person, several ways in: link a Telegram or MAX identity to an account (reference §2.4, §2.5).
An identity that belongs to another account, or an account that already has a different one, is a 409 with the
reference's code; nothing is merged or overwritten."""

from django.db import IntegrityError, transaction

from accounts.models import User
from tutorcal.errors import DomainError

# network -> (User field, code of link-*, code of auto-link-*)
NETWORKS = {
    "telegram": ("telegram_id", "TELEGRAM_ALREADY_LINKED", "TELEGRAM_ALREADY_LINKED"),
    "max": ("max_id", "MAX_ACCOUNT_ALREADY_LINKED", "MAX_ALREADY_LINKED"),
}


@transaction.atomic
def identity_link(*, user: User, network: str, identity: dict, auto: bool = False) -> bool:
    """Attach the verified identity (`identity["id"]` plus names) to `user`. Returns True when it already was.
    `auto` (auto-link-*) also fills the user's empty first name and username from the identity."""
    field, link_code, auto_code = NETWORKS[network]
    code = auto_code if auto else link_code
    external_id = identity["id"]
    user = User.objects.select_for_update().get(pk=user.pk)
    current = getattr(user, field)
    if current == external_id:
        return True
    if current is not None or User.objects.filter(**{field: external_id}).exclude(pk=user.pk).exists():
        raise DomainError(code)
    setattr(user, field, external_id)
    changed = [field, "updated_at"]
    username = str(identity.get("username") or "")[:255]
    first_name = str(identity.get("first_name") or "")[:255]
    if username and (not auto or not user.username):
        user.username = username
        changed.append("username")
    if auto and first_name and not user.first_name:
        user.first_name = first_name
        changed.append("first_name")
    try:
        with transaction.atomic():
            user.save(update_fields=changed)
    except IntegrityError:  # a concurrent link of the same identity won
        raise DomainError(code) from None
    return False


def user_find_by_max(max_id: int) -> User | None:
    from accounts.selectors import users_with_profiles

    return users_with_profiles().filter(max_id=max_id, deleted_at__isnull=True, is_active=True).first()
