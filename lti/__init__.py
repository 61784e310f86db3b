"""LTI 1.3 protocol glue over pylti1p3.

This package owns no tables and no routes of the tool and never imports the application:
the application passes in what it stores (registrations, keys, a key-value store) and gets
back plain values (:class:`Launch`) or a :class:`LaunchError` saying what was wrong.
"""

from .ags import GradeTarget, Score, post_score
from .claims import AgsScope, MessageType, Role
from .deep_linking import DeepLinkingResponse, LineItemSpec, ResourceLinkItem, deep_linking_response
from .errors import LaunchError, LaunchProblem, RegistrationError, RegistrationProblem
from .jws import (
    ManifestSignatureError,
    generate_manifest_key,
    manifest_public_jwk,
    sign_manifest,
    verify_manifest,
)
from .keys import GeneratedKey, generate_signing_key, key_set, public_jwk
from .launch import (
    AgsEndpoint,
    ContextInfo,
    DeepLinkingSettings,
    Launch,
    forget_login_state,
    stored_launch,
    validate_launch,
)
from .login import oidc_login
from .login_state import LoginStates
from .nrps import Member, fetch_roster
from .registration import (
    HttpUrl,
    PlatformConfiguration,
    RegistrationResult,
    ToolDescription,
    check_configuration_url,
    fetch_platform_configuration,
    register_tool,
)
from .services import ServiceError, forget_tokens
from .storage import KeyValueStore, StoreLaunchDataStorage
from .tool import LookupToolConf, PlatformRecord, RegistrationLookup, ToolKey

__all__ = [
    "AgsEndpoint",
    "AgsScope",
    "ContextInfo",
    "DeepLinkingResponse",
    "DeepLinkingSettings",
    "GeneratedKey",
    "GradeTarget",
    "HttpUrl",
    "KeyValueStore",
    "Launch",
    "LaunchError",
    "LaunchProblem",
    "LineItemSpec",
    "LoginStates",
    "LookupToolConf",
    "ManifestSignatureError",
    "Member",
    "MessageType",
    "PlatformConfiguration",
    "PlatformRecord",
    "RegistrationError",
    "RegistrationLookup",
    "RegistrationProblem",
    "RegistrationResult",
    "ResourceLinkItem",
    "Role",
    "Score",
    "ServiceError",
    "StoreLaunchDataStorage",
    "ToolDescription",
    "ToolKey",
    "check_configuration_url",
    "deep_linking_response",
    "fetch_platform_configuration",
    "fetch_roster",
    "forget_login_state",
    "forget_tokens",
    "generate_manifest_key",
    "generate_signing_key",
    "key_set",
    "manifest_public_jwk",
    "oidc_login",
    "post_score",
    "public_jwk",
    "register_tool",
    "sign_manifest",
    "stored_launch",
    "validate_launch",
    "verify_manifest",
]
