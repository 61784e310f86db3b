"""Deep linking responses: the signed message that creates activities in the platform."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem

from .errors import LaunchError, LaunchProblem
from .launch import Launch
from .tool import LookupToolConf


@dataclass(frozen=True)
class LineItemSpec:
    label: str
    score_maximum: float
    resource_id: str
    tag: str = ""


@dataclass(frozen=True)
class ResourceLinkItem:
    """One activity to create in the platform's course."""

    url: str
    title: str
    custom: Mapping[str, str] = field(default_factory=dict)
    line_item: LineItemSpec | None = None


@dataclass(frozen=True)
class DeepLinkingResponse:
    return_url: str
    jwt: str


def deep_linking_response(
    tool_conf: LookupToolConf, launch: Launch, items: Sequence[ResourceLinkItem]
) -> DeepLinkingResponse:
    """Sign a deep linking response carrying ``items`` for the platform of ``launch``."""
    settings = launch.deep_linking
    if settings is None:
        raise LaunchError(LaunchProblem.UNSUPPORTED_MESSAGE, "not a deep linking launch")
    record = tool_conf.platform(launch.issuer, launch.client_id)
    if record is None:
        raise LaunchError(LaunchProblem.UNKNOWN_PLATFORM, "platform no longer registered")
    registration = tool_conf.registration_for(record)
    resources = []
    for item in items:
        resource = DeepLinkResource().set_url(item.url).set_title(item.title)
        if item.custom:
            resource.set_custom_params(dict(item.custom))
        if item.line_item is not None:
            line_item = (
                LineItem()
                .set_label(item.line_item.label)
                .set_score_maximum(item.line_item.score_maximum)
                .set_resource_id(item.line_item.resource_id)
            )
            if item.line_item.tag:
                line_item.set_tag(item.line_item.tag)
            resource.set_lineitem(line_item)
        resources.append(resource)
    deep_link = DeepLink(
        registration,
        launch.deployment_id,
        {
            "deep_link_return_url": settings.return_url,
            "accept_types": list(settings.accept_types),  # type: ignore[arg-type]
            "accept_presentation_document_targets": ["iframe", "window"],
            "data": settings.data,
        },
    )
    return DeepLinkingResponse(settings.return_url, deep_link.get_response_jwt(resources))
