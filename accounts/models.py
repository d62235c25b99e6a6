from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """Papershelf's user: custom from the first migration so it can grow without pain."""
