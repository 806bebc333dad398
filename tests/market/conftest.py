"""The marketplace tests share the core tests' clock and fast password hashing."""

from tests.core.conftest import clock, fast_password_hashing  # noqa: F401
