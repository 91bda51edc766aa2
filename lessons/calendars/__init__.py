"""Calendars in and out: ICS / Google Calendar import (ics_parse, fetch, importer, google) and the private
ICS feed of every tutor, student and parent (feed). Views in views_import, views_google, views_feed."""
