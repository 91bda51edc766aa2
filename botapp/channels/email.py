"""Account mails through the outbox: `queue` writes the row inside the announcing transaction (the receiver of
events.email_requested), the worker's `send_row` renders and sends it with Django's mail framework (EMAIL_URL).

The code/token is stored sealed (secrets_box) and forgotten once the row is final, so the admin and the database
never show it in clear; the rendered mail exists only in the worker's memory while it is sent."""

import smtplib
import uuid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils import timezone

from ..models import EventType, Outbox
from . import Sent, secrets_box
from .email_texts import render


def queue(*, user_id, kind: str, secret: str, email: str, language: str = "ru", **_ignored) -> Outbox:
    from accounts.models import User

    name = User.objects.filter(pk=user_id).values_list("first_name", flat=True).first() or ""
    return Outbox.objects.create(
        channel=Outbox.Channel.EMAIL,
        event_type=EventType.ACCOUNT_EMAIL,
        dedupe_key=f"email:{kind}:{user_id}:{uuid.uuid4().hex}",
        recipient_id=user_id,
        address=email,
        text=f"{kind} → {email}",  # what the admin shows; never the secret
        payload={"kind": kind, "language": language, "name": name, "secret": secrets_box.seal(secret)},
        next_attempt_at=timezone.now(),
    )


def send_row(row: Outbox) -> Sent:
    """An account mail (payload `kind`) is rendered now from its sealed secret; any other e-mail row is its
    plain `text` with the payload's `subject`."""
    payload = row.payload or {}
    if payload.get("kind"):
        secret = secrets_box.unseal(payload.get("secret") or "")
        if not secret:
            return Sent(ok=False, error="secret expired or missing", permanent=True)
        subject, text, html = render(
            kind=payload["kind"], language=payload.get("language", "ru"), name=payload.get("name", ""), secret=secret
        )
    else:
        subject, text, html = payload.get("subject") or "Tutors Calendar", row.text, None
    message = EmailMultiAlternatives(
        subject, text, from_email=settings.DEFAULT_FROM_EMAIL, to=[row.address], connection=_connection()
    )
    if html:
        message.attach_alternative(html, "text/html")
    try:
        message.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        return Sent(ok=False, error=f"recipient refused: {exc.recipients!r}"[:500], permanent=True)
    except (smtplib.SMTPException, OSError) as exc:  # server down, TLS failure, timeout: retried with backoff
        return Sent(ok=False, error=f"{type(exc).__name__}: {exc}"[:500])
    return Sent(ok=True)


def _connection():
    return get_connection(fail_silently=False)  # EMAIL_URL's backend; SMTP reads EMAIL_TIMEOUT
