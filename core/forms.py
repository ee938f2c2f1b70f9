"""Form fields shared by the apps' forms and the admin."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from . import numbers


class NumberField(forms.CharField):
    """A decimal typed by a person, read by the one number rule (core.numbers): the digits
    and places of the model field it is stored in, and a domain bound (≥ 0 by default: no
    decimal of this schema is negative). Used by the forms and, for every DecimalField, by the
    admin, so that Django's own DecimalField (which accepts "٣" and answers in its own words)
    never reads a number here."""

    def __init__(
        self,
        *,
        max_digits: int,
        decimal_places: int,
        minimum: Decimal | int | None = 0,
        maximum: Decimal | int | None = None,
        percent: bool = False,
        **kwargs,
    ):
        for ignored in ("max_length", "min_length", "empty_value", "min_value", "max_value"):
            kwargs.pop(ignored, None)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)
        self.max_digits, self.decimal_places = max_digits, decimal_places
        self.minimum, self.maximum, self.percent = minimum, maximum, percent

    def to_python(self, value):
        if isinstance(value, Decimal):
            text = value
        else:
            text = super().to_python(value)
            if text in self.empty_values:
                return None
        label = str(self.label or "数值")
        try:
            return numbers.check(
                numbers.parse(text, label=label, percent=self.percent),
                self,
                label=label,
                minimum=self.minimum,
                maximum=self.maximum,
            )
        except numbers.NumberRefused as refused:
            raise ValidationError(str(refused), code="invalid") from None

    def has_changed(self, initial, data):
        try:
            return self.to_python(data) != (
                None if initial in (None, "") else Decimal(str(initial))
            )
        except (ValidationError, ArithmeticError, ValueError):
            return True
