"""Dates as the product writes them ("2026-12-03 23:35 UTC"), wherever Django formats one
by itself: the admin's forms and read-only fields, a template's bare {{ date }}. Where a
date is shown to be read, the product writes it and how long ago (reports.templatetags.
backup_format); this is the fallback, in the same format. TIME_ZONE is UTC."""

DATETIME_FORMAT = "Y-m-d H:i T"
SHORT_DATETIME_FORMAT = "Y-m-d H:i T"
DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i"
# Grouping for those who ask for it (intcomma, number_format(force_grouping=True)).
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
