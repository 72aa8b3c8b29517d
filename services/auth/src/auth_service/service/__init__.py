"""Auth use cases: one use case, one transaction; messages leave through the outbox."""

from auth_service.service.accounts import (
    ensure_admin,
    get_me,
    register_user,
    request_password_reset,
    resend_verification,
    update_me,
    verify_email,
)
from auth_service.service.admin import (
    delete_user,
    list_audit_logs,
    list_users,
    record_message,
    update_user_as_admin,
)
from auth_service.service.applications import (
    ApplicationView,
    Document,
    apply,
    decide,
    get_document,
    list_applications,
)
from auth_service.service.credentials import change_password, reset_password
from auth_service.service.revocation import prune_revocations, revocations_in_force
from auth_service.service.sessions import issue_tokens, login, logout, refresh_session

__all__ = [
    "ApplicationView",
    "Document",
    "apply",
    "change_password",
    "decide",
    "delete_user",
    "ensure_admin",
    "get_document",
    "get_me",
    "issue_tokens",
    "list_applications",
    "list_audit_logs",
    "list_users",
    "login",
    "logout",
    "prune_revocations",
    "record_message",
    "refresh_session",
    "register_user",
    "request_password_reset",
    "resend_verification",
    "reset_password",
    "revocations_in_force",
    "update_me",
    "update_user_as_admin",
    "verify_email",
]
