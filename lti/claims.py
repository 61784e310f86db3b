"""LTI 1.3 claim names and IMS vocabularies as enums."""

from __future__ import annotations

from enum import StrEnum

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = LTI + "message_type"
VERSION = LTI + "version"
DEPLOYMENT_ID = LTI + "deployment_id"
TARGET_LINK_URI = LTI + "target_link_uri"
RESOURCE_LINK = LTI + "resource_link"
CONTEXT = LTI + "context"
ROLES = LTI + "roles"
CUSTOM = LTI + "custom"
LAUNCH_PRESENTATION = LTI + "launch_presentation"
TOOL_PLATFORM = LTI + "tool_platform"
LIS = LTI + "lis"
EXT = LTI + "ext"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_SERVICE = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"


class MessageType(StrEnum):
    RESOURCE_LINK = "LtiResourceLinkRequest"
    DEEP_LINKING = "LtiDeepLinkingRequest"


class AgsScope(StrEnum):
    LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
    LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
    RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
    SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"

_LIS = "http://purl.imsglobal.org/vocab/lis/v2/"


class Role(StrEnum):
    """The IMS role URIs Qadam acts on (LIS v2 vocabulary)."""

    INSTRUCTOR = _LIS + "membership#Instructor"
    TEACHING_ASSISTANT = _LIS + "membership/Instructor#TeachingAssistant"
    CONTENT_DEVELOPER = _LIS + "membership#ContentDeveloper"
    COURSE_ADMINISTRATOR = _LIS + "membership#Administrator"
    LEARNER = _LIS + "membership#Learner"
    MENTOR = _LIS + "membership#Mentor"
    INSTITUTION_ADMINISTRATOR = _LIS + "institution/person#Administrator"
    INSTITUTION_STAFF = _LIS + "institution/person#Staff"
    INSTITUTION_FACULTY = _LIS + "institution/person#Faculty"
    INSTITUTION_INSTRUCTOR = _LIS + "institution/person#Instructor"
    INSTITUTION_STUDENT = _LIS + "institution/person#Student"
    INSTITUTION_LEARNER = _LIS + "institution/person#Learner"
    SYSTEM_ADMINISTRATOR = _LIS + "system/person#Administrator"
    SYSTEM_SYSADMIN = _LIS + "system/person#SysAdmin"


def normalize_role(value: str) -> str:
    """Return the full LIS v2 URI for a role, accepting the short forms LTI 1.3 allows."""
    if value.startswith("http://") or value.startswith("https://"):
        return value
    # "Instructor" and "Learner" are allowed context-role short names.
    return _LIS + "membership#" + value
