"""Django's own messages that the portal can show, marked so that `makemessages` keeps them in our catalogues.

Django's Kazakh catalogues (django/conf/locale/kk, contrib/auth, contrib/humanize) are only partly
translated, and a few translated entries are misspelt. A catalogue in LOCALE_PATHS takes precedence
over Django's, so the Kazakh translations of these messages live in locale/kk/LC_MESSAGES/django.po.
`makemessages` drops entries that no source file mentions, hence this module.

Every msgid, msgid_plural and context below is copied verbatim from Django 5.2 (typographic quotes
included; the humanize strings contain a literal NO-BREAK SPACE because xgettext does not decode the
backslash-x-a0 escape). A catalogue entry only applies when they match exactly. Nothing is translated
at import time: gettext_noop returns its argument and the *_lazy calls build lazy objects. The running
portal never imports this module.

To add a message: copy its call from Django's source, run `make messages-update`, translate it in
locale/kk (and locale/ru: copy Django's Russian translation), then `make messages`.
"""

from django.utils.translation import gettext_noop, ngettext_lazy, npgettext_lazy, pgettext_lazy


# Pagination (django.core.paginator)
PAGINATION = (
    gettext_noop("That page number is not an integer"),
    gettext_noop("That page number is less than 1"),
    gettext_noop("That page contains no results"),
)

# Form and model validation (django.core.validators, django.forms, django.db.models)
VALIDATION = (
    gettext_noop("This field cannot be blank."),
    gettext_noop("This field cannot be null."),
    gettext_noop("Enter a whole number."),
    gettext_noop("Enter a valid integer."),
    gettext_noop("Enter a valid email address."),
    gettext_noop("Select a valid choice. %(value)s is not one of the available choices."),
    gettext_noop("Upload a valid image. The file you uploaded was either not an image or a corrupted image."),
    ngettext_lazy("Ensure this value has at least %(limit_value)d character (it has %(show_value)d).", "Ensure this value has at least %(limit_value)d characters (it has %(show_value)d).", "n"),
    ngettext_lazy("Ensure this value has at most %(limit_value)d character (it has %(show_value)d).", "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).", "n"),
    ngettext_lazy("Ensure this filename has at most %(max)d character (it has %(length)d).", "Ensure this filename has at most %(max)d characters (it has %(length)d).", "n"),
    gettext_noop("File extension “%(extension)s” is not allowed. Allowed extensions are: %(allowed_extensions)s."),
    gettext_noop("Null characters are not allowed."),
    gettext_noop("%(model_name)s with this %(field_label)s already exists."),
    gettext_noop("%(model_name)s with this %(field_labels)s already exists."),
    gettext_noop("Constraint “%(name)s” is violated."),
    gettext_noop("Value %(value)r is not a valid choice."),
    gettext_noop("%(model)s instance with %(field)s %(value)r is not a valid choice."),
    gettext_noop("“%(value)s” value has an invalid date format. It must be in YYYY-MM-DD format."),
    gettext_noop("“%(value)s” value has the correct format (YYYY-MM-DD) but it is an invalid date."),
    gettext_noop("“%(value)s” value has an invalid format. It must be in YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ] format."),
    gettext_noop("“%(value)s” value has the correct format (YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ]) but it is an invalid date/time."),
    gettext_noop("(Hidden field %(name)s) %(error)s"),
    gettext_noop("“%(pk)s” is not a valid value."),
    gettext_noop("ManagementForm data is missing or has been tampered with. Missing fields: %(field_names)s. You may need to file a bug report if the issue persists."),
    ngettext_lazy("Please submit at most %(num)d form.", "Please submit at most %(num)d forms.", "n"),
    ngettext_lazy("Please submit at least %(num)d form.", "Please submit at least %(num)d forms.", "n"),
    pgettext_lazy("String to return when truncating text", "%(truncated_text)s…"),
)

# Time since (the |timesince filter, django.utils.timesince)
TIMESINCE = (
    ngettext_lazy("%(num)d year", "%(num)d years", "n"),
    ngettext_lazy("%(num)d month", "%(num)d months", "n"),
    ngettext_lazy("%(num)d week", "%(num)d weeks", "n"),
    ngettext_lazy("%(num)d day", "%(num)d days", "n"),
    ngettext_lazy("%(num)d hour", "%(num)d hours", "n"),
    ngettext_lazy("%(num)d minute", "%(num)d minutes", "n"),
)

# Date names (django.utils.dates): Django's Kazakh has them, but with misspellings; the project owns them
DATES = (
    gettext_noop("Monday"),
    gettext_noop("Tuesday"),
    gettext_noop("Wednesday"),
    gettext_noop("Thursday"),
    gettext_noop("Friday"),
    gettext_noop("Saturday"),
    gettext_noop("Sunday"),
    gettext_noop("Mon"),
    gettext_noop("Tue"),
    gettext_noop("Wed"),
    gettext_noop("Thu"),
    gettext_noop("Fri"),
    gettext_noop("Sat"),
    gettext_noop("Sun"),
    gettext_noop("January"),
    gettext_noop("February"),
    gettext_noop("March"),
    gettext_noop("April"),
    gettext_noop("May"),
    gettext_noop("June"),
    gettext_noop("July"),
    gettext_noop("August"),
    gettext_noop("September"),
    gettext_noop("October"),
    gettext_noop("November"),
    gettext_noop("December"),
    gettext_noop("jan"),
    gettext_noop("feb"),
    gettext_noop("mar"),
    gettext_noop("apr"),
    gettext_noop("may"),
    gettext_noop("jun"),
    gettext_noop("jul"),
    gettext_noop("aug"),
    gettext_noop("sep"),
    gettext_noop("oct"),
    gettext_noop("nov"),
    gettext_noop("dec"),
    pgettext_lazy("abbrev. month", "Jan."),
    pgettext_lazy("abbrev. month", "Feb."),
    pgettext_lazy("abbrev. month", "March"),
    pgettext_lazy("abbrev. month", "April"),
    pgettext_lazy("abbrev. month", "May"),
    pgettext_lazy("abbrev. month", "June"),
    pgettext_lazy("abbrev. month", "July"),
    pgettext_lazy("abbrev. month", "Aug."),
    pgettext_lazy("abbrev. month", "Sept."),
    pgettext_lazy("abbrev. month", "Oct."),
    pgettext_lazy("abbrev. month", "Nov."),
    pgettext_lazy("abbrev. month", "Dec."),
    pgettext_lazy("alt. month", "January"),
    pgettext_lazy("alt. month", "February"),
    pgettext_lazy("alt. month", "March"),
    pgettext_lazy("alt. month", "April"),
    pgettext_lazy("alt. month", "May"),
    pgettext_lazy("alt. month", "June"),
    pgettext_lazy("alt. month", "July"),
    pgettext_lazy("alt. month", "August"),
    pgettext_lazy("alt. month", "September"),
    pgettext_lazy("alt. month", "October"),
    pgettext_lazy("alt. month", "November"),
    pgettext_lazy("alt. month", "December"),
)

# Passwords and sign-in (django.contrib.auth)
AUTH = (
    gettext_noop("Please enter a correct %(username)s and password. Note that both fields may be case-sensitive."),
    ngettext_lazy("This password is too short. It must contain at least %d character.", "This password is too short. It must contain at least %d characters.", "n"),
    ngettext_lazy("Your password must contain at least %(min_length)d character.", "Your password must contain at least %(min_length)d characters.", "n"),
    gettext_noop("The password is too similar to the %(verbose_name)s."),
    gettext_noop("Your password can’t be too similar to your other personal information."),
    gettext_noop("This password is too common."),
    gettext_noop("Your password can’t be a commonly used password."),
    gettext_noop("This password is entirely numeric."),
    gettext_noop("Your password can’t be entirely numeric."),
    gettext_noop("The two password fields didn’t match."),
    gettext_noop("Enter the same password as before, for verification."),
    gettext_noop("username"),
    gettext_noop("last name"),
    gettext_noop("email address"),
)

# Humanize (django.contrib.humanize: naturalday, naturaltime, intword)
HUMANIZE = (
    gettext_noop("now"),
    gettext_noop("tomorrow"),
    ngettext_lazy("%(value)s trillion", "%(value)s trillion", "n"),
    gettext_noop("%(delta)s ago"),
    gettext_noop("%(delta)s from now"),
    ngettext_lazy("an hour ago", "%(count)s hours ago", "n"),
    ngettext_lazy("a minute ago", "%(count)s minutes ago", "n"),
    ngettext_lazy("a second ago", "%(count)s seconds ago", "n"),
    ngettext_lazy("a second from now", "%(count)s seconds from now", "n"),
    ngettext_lazy("a minute from now", "%(count)s minutes from now", "n"),
    ngettext_lazy("an hour from now", "%(count)s hours from now", "n"),
    npgettext_lazy("naturaltime-past", "%(num)d year", "%(num)d years", "n"),
    npgettext_lazy("naturaltime-past", "%(num)d month", "%(num)d months", "n"),
    npgettext_lazy("naturaltime-past", "%(num)d week", "%(num)d weeks", "n"),
    npgettext_lazy("naturaltime-past", "%(num)d day", "%(num)d days", "n"),
    npgettext_lazy("naturaltime-past", "%(num)d hour", "%(num)d hours", "n"),
    npgettext_lazy("naturaltime-past", "%(num)d minute", "%(num)d minutes", "n"),
    npgettext_lazy("naturaltime-future", "%(num)d year", "%(num)d years", "n"),
    npgettext_lazy("naturaltime-future", "%(num)d month", "%(num)d months", "n"),
    npgettext_lazy("naturaltime-future", "%(num)d week", "%(num)d weeks", "n"),
    npgettext_lazy("naturaltime-future", "%(num)d day", "%(num)d days", "n"),
    npgettext_lazy("naturaltime-future", "%(num)d hour", "%(num)d hours", "n"),
    npgettext_lazy("naturaltime-future", "%(num)d minute", "%(num)d minutes", "n"),
)
