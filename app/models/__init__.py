"""SQLAlchemy 2 typed models, one module per aggregate."""

from .lti_store import LtiStoreEntry
from .platform import Deployment, Platform
from .school_class import Membership, Person, SchoolClass
from .tool_key import ToolKey

__all__ = [
    "Deployment",
    "LtiStoreEntry",
    "Membership",
    "Person",
    "Platform",
    "SchoolClass",
    "ToolKey",
]
