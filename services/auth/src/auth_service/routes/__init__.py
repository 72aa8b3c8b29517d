"""Auth's HTTP routes (all under /api/auth, plus the JWKS at the root)."""

from auth_service.routes import accounts, admin, applications

routers = [accounts.router, applications.router, admin.router, accounts.well_known]

__all__ = ["routers"]
