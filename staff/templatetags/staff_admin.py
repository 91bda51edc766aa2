from django import template

from ..selectors.support import new_count

register = template.Library()


@register.simple_tag
def support_new_count() -> int:
    return new_count()
