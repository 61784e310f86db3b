"""SQLAlchemy 2 typed models, one module per aggregate."""

from .area import Area
from .area_result import AreaResult, AreaResultSet
from .class_plan import ClassPlanEntry
from .coordinator import CoordinatorGrant
from .lesson_delivery import LessonDelivery
from .lti_store import LtiStoreEntry
from .platform import Deployment, Platform
from .quiz import LinkLineItem, OutboxMessage, QuizAnswer, QuizAttempt, ResourceLink
from .report_package import ReportKey, ReportPackage
from .school import School
from .school_class import Membership, Person, SchoolClass
from .survey import (
    SurveyHeldResponse,
    SurveyParticipation,
    SurveyResponse,
    SurveyWave,
    SurveyWindow,
)
from .survey_result import SurveyResult, SurveyResultSet
from .talk import TalkRequest
from .tool_key import ToolKey

__all__ = [
    "Area",
    "AreaResult",
    "AreaResultSet",
    "ClassPlanEntry",
    "CoordinatorGrant",
    "Deployment",
    "LessonDelivery",
    "LinkLineItem",
    "LtiStoreEntry",
    "Membership",
    "OutboxMessage",
    "Person",
    "Platform",
    "QuizAnswer",
    "QuizAttempt",
    "ReportKey",
    "ReportPackage",
    "ResourceLink",
    "School",
    "SchoolClass",
    "SurveyHeldResponse",
    "SurveyParticipation",
    "SurveyResponse",
    "SurveyResult",
    "SurveyResultSet",
    "SurveyWave",
    "SurveyWindow",
    "TalkRequest",
    "ToolKey",
]
