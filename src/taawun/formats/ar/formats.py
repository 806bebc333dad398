"""Arabic formats for Palestine and Jordan, over Django's own Arabic formats.

Django's Arabic writes decimals with a comma ("250,00"). With Western digits, as on receipts and
bank statements in the region, the decimal mark is a full stop and thousands are grouped with a
comma. Django defines no Arabic date-and-time formats, so its English ones ("11/23/2026 5:36 p.m.")
would show; these follow its Arabic date formats. The RIGHT-TO-LEFT MARKs keep day/month/year in
reading order inside right-to-left text.
"""

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
DATETIME_FORMAT = "j F، Y، g:i A"
SHORT_DATETIME_FORMAT = "d\u200f/m\u200f/Y g:i A"
