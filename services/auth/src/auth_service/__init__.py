"""The auth service: accounts, roles, sessions and the access-token signing key."""
