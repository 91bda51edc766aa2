"""Delivery channels of the outbox besides Telegram: e-mail (Django's mail framework, EMAIL_URL) and the MAX
messenger (MAX Bot API over HTTP). The worker claims rows of every channel the same way and hands the non-Telegram
ones to `send_row`; the answer says whether the row is sent, must be retried (backoff) or failed for good."""

from dataclasses import dataclass


@dataclass
class Sent:
    ok: bool
    error: str = ""
    permanent: bool = False  # retrying cannot help (bad address, chat gone)
    block_user: bool = False  # the user is unreachable on this channel


def send_row(row) -> Sent:
    from . import email, max

    if row.channel == "email":
        return email.send_row(row)
    if row.channel == "max":
        return max.send_row(row)
    return Sent(ok=False, error=f"unknown channel {row.channel}", permanent=True)


def scrub(row) -> bool:
    """Forget a row's secret once it is final (sent, failed, skipped). Returns whether the row changed."""
    if isinstance(row.payload, dict) and row.payload.get("secret"):
        row.payload = {**row.payload, "secret": None}
        return True
    return False
