"""The one exception type for bad user input.

Everything a user can get wrong (an unknown dataset, a class out of range, missing files, a negative
learning rate) raises UserInputError with a one-line message that says what was wrong and what is
valid. The CLI turns it into that line and exit code 2; the app shows it with st.error.
"""


class UserInputError(ValueError):
    """Bad input from a user: the message is one line, meant to be shown as it is."""


QUOTE_LIMIT = 40        # characters of a bad value a message quotes: enough to recognise it, never a wall of text


def clipped(text: str) -> str:
    """Text a message repeats (a URL key), cut to a short prefix and its length when it is long."""
    return text if len(text) <= QUOTE_LIMIT else f"{text[:QUOTE_LIMIT]}... ({len(text):,} characters)"


def quoted(value) -> str:
    """A bad value as a message quotes it: its repr, or for a long one a short prefix and its length
    ('aaaa... (10,000 characters)), so that a 10,000-character URL value still makes a one-line message."""
    text = repr(value)
    if len(text) <= QUOTE_LIMIT:
        return text
    length = len(value) if isinstance(value, str) else len(text)
    return f"{text[:QUOTE_LIMIT]}... ({length:,} characters)"
