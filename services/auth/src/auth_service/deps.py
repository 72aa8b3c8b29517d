"""Annotated dependency aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from auth_service.settings import Settings
from auth_service.tokens import TokenSigner


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_signer(request: Request) -> TokenSigner:
    signer: TokenSigner = request.app.state.signer
    return signer


SettingsDep = Annotated[Settings, Depends(get_settings)]
SignerDep = Annotated[TokenSigner, Depends(get_signer)]
