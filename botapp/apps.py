from django.apps import AppConfig


class BotappConfig(AppConfig):
    name = "botapp"
    verbose_name = "Telegram bot"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
