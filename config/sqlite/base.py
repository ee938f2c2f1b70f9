"""Django's SQLite backend, reading decimals that do not fit their column without failing.

SQLite does not enforce a column's declared digits: a database written before the number rule
(core.numbers) and its check constraints may hold 99999999999 in a score column. Django's
converter quantizes every value in the column's context and raises decimal.InvalidOperation on
such a row, so one bad row made the form, the home page, 审核工作台, 绩效看板 and the admin answer
500 for everyone. Here such a value is read as "超出范围": None where the column is nullable (a
score, a computed figure: shown as missing and recomputed), else the value itself, capped at 20
integer digits so that every later rounding still works (a money column: shown as it is, flagged
by the computed figures and repaired by `manage.py repair_numbers`). PostgreSQL needs nothing of
the kind: its numeric columns refuse such values on write.
"""

import decimal

from django.db.backends.sqlite3 import base
from django.db.backends.sqlite3.operations import DatabaseOperations as SQLiteOperations

_READ = decimal.Context(prec=15)
_CAP = decimal.Decimal(10) ** 20 - 1


class DatabaseOperations(SQLiteOperations):
    def get_decimalfield_converter(self, expression):
        convert = super().get_decimalfield_converter(expression)
        nullable = getattr(expression.output_field, "null", True)

        def converter(value, expression, connection):
            try:
                return convert(value, expression, connection)
            except (decimal.InvalidOperation, TypeError, ValueError):
                if nullable:
                    return None
                try:
                    read = _READ.create_decimal(str(value))
                except decimal.InvalidOperation:
                    return None
                if not read.is_finite():
                    return None
                return max(min(read, _CAP), -_CAP)

        return converter


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
