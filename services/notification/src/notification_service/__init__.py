"""Notification service: emails people what happened, and renders their PDF tickets."""
