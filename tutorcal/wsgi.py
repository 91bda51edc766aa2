import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tutorcal.settings")
django_application = get_wsgi_application()

from tutorcal.health import fast_response  # noqa: E402 - needs the settings configured above


def application(environ, start_response):
    """Health probes are answered before Django's request cycle (middleware, URL resolving, DRF): a load
    balancer's polling must not cost what a user's request does. Everything else is Django's."""
    fast = fast_response(environ)
    if fast is None:
        return django_application(environ, start_response)
    status, headers, body = fast
    start_response(status, headers)
    return [body]
