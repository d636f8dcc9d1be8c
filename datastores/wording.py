"""Plain words that messages in every layer share; here because datastores is the layer every other one imports."""


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """'1 image set', '2 image sets', '3 studies' (give `plural` where adding an s is wrong)."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
