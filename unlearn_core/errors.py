"""The one exception type for bad user input.

Everything a user can get wrong (an unknown dataset, a class out of range, missing files, a negative
learning rate) raises UserInputError with a one-line message that says what was wrong and what is
valid. The CLI turns it into that line and exit code 2; the app shows it with st.error.
"""


class UserInputError(ValueError):
    """Bad input from a user: the message is one line, meant to be shown as it is."""
