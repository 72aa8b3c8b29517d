"""Auth use cases: one use case, one transaction; messages leave through the outbox."""

from auth_service.service.accounts import (
    change_password,
    ensure_admin,
    get_me,
    register_user,
    request_password_reset,
    resend_verification,
    reset_password,
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
    "record_message",
    "refresh_session",
    "register_user",
    "request_password_reset",
    "resend_verification",
    "reset_password",
    "update_me",
    "update_user_as_admin",
    "verify_email",
]
