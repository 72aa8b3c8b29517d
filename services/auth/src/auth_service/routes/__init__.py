"""Auth's HTTP routes (all under /api/auth, plus the JWKS at the root and /internal)."""

from auth_service.routes import accounts, admin, applications, internal

routers = [accounts.router, applications.router, admin.router, accounts.well_known, internal.router]

__all__ = ["routers"]
