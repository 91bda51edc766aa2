"""The account mails in Russian and English: subject, plain text and HTML (names and links escaped)."""

from django.conf import settings
from django.utils.html import format_html, format_html_join

TEXTS = {
    "signup_code": {
        "ru": {
            "subject": "{secret} — код подтверждения Tutors Calendar",
            "lines": ["Здравствуйте, {name}!", "Ваш код подтверждения: {secret}", "Код действует 10 минут."],
        },
        "en": {
            "subject": "{secret} is your Tutors Calendar code",
            "lines": ["Hello, {name}!", "Your confirmation code: {secret}", "The code is valid for 10 minutes."],
        },
    },
    "email_link": {
        "ru": {
            "subject": "Подтвердите адрес для Tutors Calendar",
            "lines": ["Здравствуйте, {name}!", "Подтвердите адрес по ссылке: {link}", "Ссылка действует 24 часа."],
        },
        "en": {
            "subject": "Confirm your address for Tutors Calendar",
            "lines": ["Hello, {name}!", "Confirm your address: {link}", "The link is valid for 24 hours."],
        },
    },
    "password_reset": {
        "ru": {
            "subject": "Сброс пароля Tutors Calendar",
            "lines": [
                "Здравствуйте, {name}!",
                "Задать новый пароль: {link}",
                "Ссылка действует 1 час. Если вы не просили сброс, просто проигнорируйте письмо.",
            ],
        },
        "en": {
            "subject": "Reset your Tutors Calendar password",
            "lines": [
                "Hello, {name}!",
                "Set a new password: {link}",
                "The link is valid for 1 hour. If you did not ask for it, ignore this mail.",
            ],
        },
    },
}
LINK_PATHS = {"email_link": "verify-email", "password_reset": "reset-password"}
DEFAULT_NAME = {"ru": "пользователь", "en": "there"}


def render(*, kind: str, language: str, name: str, secret: str) -> tuple[str, str, str]:
    """(subject, text, html) of one mail."""
    lang = language if language in ("ru", "en") else "ru"
    texts = TEXTS[kind][lang]
    link = f"{settings.WEBAPP_URL}/{LINK_PATHS[kind]}/{secret}" if kind in LINK_PATHS else ""
    values = {"name": name or DEFAULT_NAME[lang], "secret": secret, "link": link}
    subject = texts["subject"].format(**values)
    text = "\n\n".join(line.format(**values) for line in texts["lines"]) + "\n"
    paragraphs = []
    for line in texts["lines"]:
        if "{link}" in line:
            before = line.split("{link}")[0].format(**values)
            paragraphs.append(format_html('<p>{}<a href="{}">{}</a></p>', before, link, link))
        else:
            paragraphs.append(format_html("<p>{}</p>", line.format(**values)))
    html = format_html(
        '<!doctype html><html lang="{}"><body>{}</body></html>',
        lang,
        format_html_join("", "{}", ((p,) for p in paragraphs)),
    )
    return subject, text, html
