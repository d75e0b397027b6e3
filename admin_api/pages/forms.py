"""The types of the inbox pages' form fields."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form

Text = Annotated[str | None, Form(max_length=5000)]  # any text field of a form (the CSRF token included)
