"""Validate an LTI 1.3 launch (the OIDC form post) and hand the application a plain Launch."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
import requests
from jwcrypto.jwk import JWK
from pylti1p3.contrib.flask import FlaskMessageLaunch
from pylti1p3.exception import LtiException, LtiKeyException
from pylti1p3.registration import Registration

from . import claims as c
from .errors import LaunchError, LaunchProblem
from .flask_request import current_request
from .http import TimeoutSession
from .login_state import LoginStates, StateCookies, state_cookie_name
from .storage import StoreLaunchDataStorage, StoreSessionService
from .token_decoder import TokenDecoder
from .tool import LookupToolConf, PlatformRecord

log = logging.getLogger(__name__)

ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512")
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "nonce", "sub"]
KEY_SET_LIFETIME = 6 * 3600
# A token naming a key we do not know makes us fetch the platform's key set again, at most
# once in this many seconds per platform, so forged kids cannot make us hammer the platform.
KEY_REFETCH_COOLDOWN = 60
# Each process also keeps key sets in memory for a short while, sparing the store a read.
KEY_SET_MEMORY_LIFETIME = 300
_key_sets: dict[str, tuple[float, Any]] = {}
# Platform keys ready for the signature check, by their JWK: converting a JWK (to PEM, then
# parsing that) costs more than the check itself. Only keys of a platform's key set get here.
MAX_CONVERTED_KEYS = 64
_converted_keys: dict[str, Any] = {}


@dataclass(frozen=True)
class ContextInfo:
    id: str
    title: str
    label: str


@dataclass(frozen=True)
class AgsEndpoint:
    scopes: tuple[str, ...]
    lineitems_url: str | None
    lineitem_url: str | None


@dataclass(frozen=True)
class DeepLinkingSettings:
    return_url: str
    accept_types: tuple[str, ...]
    accept_multiple: bool
    title: str
    data: Any = None


@dataclass(frozen=True)
class Launch:
    """A validated launch, stripped of everything but what Qadam needs. No JWT in sight."""

    launch_id: str
    message_type: c.MessageType
    issuer: str
    client_id: str
    deployment_id: str
    sub: str
    roles: tuple[str, ...]
    context: ContextInfo | None
    resource_link_id: str | None
    resource_link_title: str
    locale: str | None
    document_target: str | None
    return_url: str | None
    target_link_uri: str | None
    custom: Mapping[str, str] = field(default_factory=dict)
    ags: AgsEndpoint | None = None
    nrps_url: str | None = None
    deep_linking: DeepLinkingSettings | None = None


def _as_str(value: Any) -> str:
    return "" if value is None else str(value)


def _mapping(value: Any) -> Mapping[str, Any]:
    """A claim that should be a JSON object, or an empty one when it is not."""
    return value if isinstance(value, Mapping) else {}


def launch_from_claims(launch_id: str, body: Mapping[str, Any], client_id: str) -> Launch:
    """Build a :class:`Launch` from validated id_token claims."""
    context_claim = _mapping(body.get(c.CONTEXT))
    context = (
        ContextInfo(
            id=_as_str(context_claim.get("id")),
            title=_as_str(context_claim.get("title")),
            label=_as_str(context_claim.get("label")),
        )
        if context_claim.get("id")
        else None
    )
    link = _mapping(body.get(c.RESOURCE_LINK))
    presentation = _mapping(body.get(c.LAUNCH_PRESENTATION))
    ags_claim = body.get(c.AGS_ENDPOINT)
    ags = (
        AgsEndpoint(
            scopes=tuple(ags_claim.get("scope") or ()),
            lineitems_url=ags_claim.get("lineitems"),
            lineitem_url=ags_claim.get("lineitem"),
        )
        if isinstance(ags_claim, Mapping)
        else None
    )
    nrps = _mapping(body.get(c.NRPS_SERVICE))
    dl_claim = body.get(c.DEEP_LINKING_SETTINGS)
    deep_linking = (
        DeepLinkingSettings(
            return_url=dl_claim["deep_link_return_url"],
            accept_types=tuple(dl_claim.get("accept_types") or ()),
            accept_multiple=str(dl_claim.get("accept_multiple", "true")).lower() == "true",
            title=_as_str(dl_claim.get("title")),
            data=dl_claim.get("data"),
        )
        if isinstance(dl_claim, Mapping) and dl_claim.get("deep_link_return_url")
        else None
    )
    custom = _mapping(body.get(c.CUSTOM))
    return Launch(
        launch_id=launch_id,
        message_type=c.MessageType(body[c.MESSAGE_TYPE]),
        issuer=body["iss"],
        client_id=client_id,
        deployment_id=_as_str(body[c.DEPLOYMENT_ID]),
        sub=_as_str(body["sub"]),
        roles=tuple(c.normalize_role(r) for r in body.get(c.ROLES) or () if isinstance(r, str)),
        context=context,
        resource_link_id=_as_str(link.get("id")) or None,
        resource_link_title=_as_str(link.get("title")),
        locale=_as_str(presentation.get("locale")) or None,
        document_target=_as_str(presentation.get("document_target")) or None,
        return_url=_as_str(presentation.get("return_url")) or None,
        target_link_uri=body.get(c.TARGET_LINK_URI),
        custom={str(k): _as_str(v) for k, v in custom.items()}
        if isinstance(custom, Mapping)
        else {},
        ags=ags,
        nrps_url=nrps.get("context_memberships_url"),
        deep_linking=deep_linking,
    )


class _QadamMessageLaunch(FlaskMessageLaunch):
    """pylti1p3's launch with every check the library leaves out, each mapped to a problem."""

    def __init__(
        self,
        *,
        tool_conf: LookupToolConf,
        storage: StoreLaunchDataStorage,
        states: LoginStates,
        leeway: int,
        launch_lifetime: int,
        login_url: str,
        requests_session: requests.Session,
        custom_params: Collection[str] = (),
    ) -> None:
        request = current_request()
        cookies = StateCookies(request)
        self._session = StoreSessionService(storage, launch_lifetime, custom_params)
        super().__init__(
            request,
            tool_conf,
            session_service=self._session,
            cookie_service=cookies,
            launch_data_storage=storage,
            requests_session=requests_session,
        )
        self._storage = storage
        self._state_cookies = cookies
        self._states = states
        self._tool_conf = tool_conf
        self._leeway = leeway
        self._login_url = login_url
        self._login_params: dict[str, Any] = {}
        self._login_nonce: str | None = None
        self._login_claimed = False
        self._record: PlatformRecord | None = None
        self.set_public_key_caching(storage, KEY_SET_LIFETIME)

    # -- the checks, in the order they run ------------------------------------------------

    def validate(self) -> _QadamMessageLaunch:
        self._validated = True
        try:
            if not self._get_request_param("id_token") and not self._get_request_param("state"):
                raise LaunchError(LaunchProblem.MALFORMED_REQUEST, "no id_token and no state")
            # The login state goes first: a launch refused for any reason still uses it up
            # (below), and one accepted uses it up with the stored launch (save_launch_data).
            self.validate_state()
            self.validate_jwt_format()
            self.validate_registration()
            self.validate_jwt_signature()
            self.validate_nonce()
            self.validate_deployment()
            self.validate_message()
            self.save_launch_data()
        except LaunchError as err:
            self._validated = False
            if self._login_nonce is not None and not self._login_claimed:
                self._use_up_login()
            if err.issuer is None:
                err.issuer = self._jwt.get("body", {}).get("iss")
            if err.locale is None:
                err.locale = self._locale_hint()
            raise
        return self

    def validate_jwt_format(self) -> _QadamMessageLaunch:
        if not self._get_request_param("id_token"):
            raise LaunchError(LaunchProblem.MALFORMED_REQUEST, "no id_token in the launch")
        try:
            super().validate_jwt_format()
        except LtiException as exc:
            raise LaunchError(LaunchProblem.MALFORMED_TOKEN, str(exc)) from exc
        if not isinstance(self._jwt.get("body"), dict) or not isinstance(
            self._jwt.get("header"), dict
        ):
            raise LaunchError(LaunchProblem.MALFORMED_TOKEN, "id_token is not a JSON object")
        return self

    def validate_state(self) -> _QadamMessageLaunch:
        state = self._get_request_param("state")
        if not state:
            raise LaunchError(LaunchProblem.MISSING_STATE, "no state parameter in the launch")
        login = self._states.open(state)
        if login is not None:
            self._login_params = login.params
            self._login_nonce = login.nonce
            # The launch is stored under its login's nonce, once: a second launch with the
            # same state finds it there (save_launch_data) and is refused as a replay.
            self._launch_id = launch_id_of(login.nonce)
        cookie = self._state_cookies.get_cookie(state)
        if self._state_cookies.holds(state):
            return self
        if cookie is None and login is not None and self._use_up_login():
            # The login happened (and was not used), but the browser did not send back the
            # cookie it was given: a browser that blocks cookies inside the platform's frame.
            raise LaunchError(
                LaunchProblem.COOKIES_BLOCKED,
                "state cookie missing for a known login",
                retry_url=self._retry_url(),
                locale=self._locale_hint(),
            )
        raise LaunchError(LaunchProblem.STATE_MISMATCH, "state does not match this browser")

    def _use_up_login(self) -> bool:
        """Mark the login used by this refused launch; False if a launch had used it."""
        self._login_claimed = True
        return self._session.claim_login(self._launch_id, None)

    def _locale_hint(self) -> str | None:
        """The launch's locale, read (unverified) only to word an error in the right language."""
        body = self._jwt.get("body")
        presentation = body.get(c.LAUNCH_PRESENTATION) if isinstance(body, dict) else None
        locale = presentation.get("locale") if isinstance(presentation, Mapping) else None
        return locale if isinstance(locale, str) else None

    def _retry_url(self) -> str:
        params = {k: v for k, v in self._login_params.items() if v}
        params["lti1p3_new_window"] = "1"
        return self._login_url + "?" + urlencode(params)

    def get_client_id(self) -> str:
        body = self._jwt.get("body", {})
        aud = body.get("aud")
        azp = body.get("azp")
        if isinstance(aud, list):
            if len(aud) > 1 and not azp:
                raise LaunchError(
                    LaunchProblem.MISSING_CLAIM, "several audiences and no azp", claim="azp"
                )
            if azp:
                if azp not in aud:
                    raise LaunchError(LaunchProblem.WRONG_AUDIENCE, "azp is not an audience")
                return str(azp)
            return str(aud[0]) if aud else ""
        if azp and aud and azp != aud:
            raise LaunchError(LaunchProblem.WRONG_AUDIENCE, "azp differs from aud")
        return _as_str(aud)

    def validate_registration(self) -> _QadamMessageLaunch:
        body = self._jwt.get("body", {})
        iss = body.get("iss")
        if not iss or not isinstance(iss, str):
            raise LaunchError(LaunchProblem.MISSING_CLAIM, "no iss", claim="iss")
        client_id = self.get_client_id()
        if not client_id:
            raise LaunchError(LaunchProblem.MISSING_CLAIM, "no aud", claim="aud")
        login = self._login_params
        if not self._restored and login:
            if login.get("iss") != iss:
                raise LaunchError(
                    LaunchProblem.WRONG_ISSUER, f"login was for {login.get('iss')!r}, token {iss!r}"
                )
            if login.get("client_id") and login.get("client_id") != client_id:
                raise LaunchError(LaunchProblem.WRONG_AUDIENCE, "login was for another client id")
        record = self._tool_conf.platform(iss, client_id)
        if record is None:
            if self._tool_conf.lookup.issuer_known(iss):
                raise LaunchError(
                    LaunchProblem.WRONG_AUDIENCE, f"client id {client_id!r} not registered"
                )
            raise LaunchError(LaunchProblem.UNKNOWN_PLATFORM, f"issuer {iss!r} not registered")
        self._record = record
        self._registration = self._tool_conf.registration_for(record)
        return self

    def fetch_public_key(self, key_set_url: str) -> Any:
        """The platform's key set: from this process's memory, the shared store, or the web."""
        remembered = _key_sets.get(key_set_url)
        if remembered is not None and remembered[0] > time.monotonic():
            return remembered[1]
        cache_key = "key-set-url-" + hashlib.sha256(key_set_url.encode()).hexdigest()
        key_set = self._storage.get_value(cache_key)
        if not key_set:
            key_set = self._download_key_set(key_set_url)
            self._storage.set_value(cache_key, key_set, KEY_SET_LIFETIME)
        _key_sets[key_set_url] = (time.monotonic() + KEY_SET_MEMORY_LIFETIME, key_set)
        return key_set

    def _download_key_set(self, key_set_url: str) -> Any:
        try:
            resp = self._requests_session.get(key_set_url)
            resp.raise_for_status()
            key_set = resp.json()
        except (requests.RequestException, ValueError) as exc:
            raise LaunchError(
                LaunchProblem.PLATFORM_KEYS_UNAVAILABLE, f"{key_set_url}: {exc}"
            ) from exc
        if not isinstance(key_set, dict) or not isinstance(key_set.get("keys"), list):
            raise LaunchError(LaunchProblem.PLATFORM_KEYS_UNAVAILABLE, f"{key_set_url}: not a JWKS")
        return key_set

    def _forget_key_set(self, key_set_url: str) -> bool:
        """Drop the shared cached key set so it is fetched again; False while cooling down."""
        digest = hashlib.sha256(key_set_url.encode()).hexdigest()
        if self._storage.get_value("key-set-refetch-" + digest):
            return False
        self._storage.set_value("key-set-refetch-" + digest, True, KEY_REFETCH_COOLDOWN)
        self._storage.delete_value("key-set-url-" + digest)
        return True

    def get_public_key(self) -> tuple[Any, str]:
        """The platform's key that signed the token, found as pylti1p3 finds it (the key set's
        key with the token's kid and alg), converted once per process."""
        registration, _record = self._registered()
        key_set = registration.get_key_set()
        if not key_set:
            url = registration.get_key_set_url()
            if not url or not url.startswith(("http://", "https://")):
                raise LtiKeyException(f"The public key set URL is invalid: {url}")
            key_set = self.fetch_public_key(url)
            registration.set_key_set(key_set)
        header = self._jwt.get("header", {})
        kid, alg = header.get("kid"), header.get("alg")
        if not kid:
            raise LtiKeyException("JWT KID not found")
        if not alg:
            raise LtiKeyException("JWT ALG not found")
        for jwk in key_set["keys"]:
            if not isinstance(jwk, Mapping):
                continue
            if jwk.get("kid") == kid and jwk.get("alg", "RS256") == alg:
                return _verification_key(jwk, alg), alg
        raise LtiKeyException("Unable to find public key")

    def _public_key(self) -> tuple[Any, str]:
        registration, record = self._registered()
        try:
            return self.get_public_key()
        except LtiException as exc:
            problem = str(exc)
        url = registration.get_key_set_url()
        if url and record.key_set is None:
            # Another worker may have fetched the platform's new keys already: look in the
            # shared store first, then fetch them ourselves (at most once a minute).
            for refetch in (False, True):
                if refetch and not self._forget_key_set(url):
                    break
                _key_sets.pop(url, None)
                registration.set_key_set(None)
                try:
                    return self.get_public_key()
                except LtiException as exc:
                    problem = str(exc)
        raise LaunchError(LaunchProblem.UNKNOWN_KEY, problem)

    def _registered(self) -> tuple[Registration, PlatformRecord]:
        if self._registration is None or self._record is None:
            raise RuntimeError("validate_registration() must run first")
        return self._registration, self._record

    def validate_jwt_signature(self) -> _QadamMessageLaunch:
        registration, _record = self._registered()
        header = self._jwt.get("header", {})
        alg = header.get("alg")
        if alg not in ALLOWED_ALGORITHMS:
            raise LaunchError(LaunchProblem.UNSUPPORTED_ALGORITHM, f"alg {alg!r} is not allowed")
        if not header.get("kid"):
            raise LaunchError(LaunchProblem.UNKNOWN_KEY, "the token names no key (kid)")
        public_key, key_alg = self._public_key()
        try:
            _decoder.decode(
                self._get_id_token(),
                public_key,
                algorithms=[key_alg],
                audience=registration.get_client_id(),
                issuer=registration.get_issuer(),
                leeway=self._leeway,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError as exc:
            raise LaunchError(LaunchProblem.EXPIRED, str(exc)) from exc
        except jwt.ImmatureSignatureError as exc:
            raise LaunchError(LaunchProblem.NOT_YET_VALID, str(exc)) from exc
        except jwt.InvalidAudienceError as exc:
            raise LaunchError(LaunchProblem.WRONG_AUDIENCE, str(exc)) from exc
        except jwt.InvalidIssuerError as exc:
            raise LaunchError(LaunchProblem.WRONG_ISSUER, str(exc)) from exc
        except jwt.MissingRequiredClaimError as exc:
            raise LaunchError(LaunchProblem.MISSING_CLAIM, str(exc), claim=exc.claim) from exc
        except jwt.InvalidAlgorithmError as exc:
            raise LaunchError(LaunchProblem.UNSUPPORTED_ALGORITHM, str(exc)) from exc
        except jwt.InvalidSignatureError as exc:
            raise LaunchError(LaunchProblem.BAD_SIGNATURE, str(exc)) from exc
        except jwt.InvalidTokenError as exc:
            raise LaunchError(LaunchProblem.MALFORMED_TOKEN, str(exc)) from exc
        return self

    def validate_nonce(self) -> _QadamMessageLaunch:
        nonce = self._jwt.get("body", {}).get("nonce")
        if not nonce or not isinstance(nonce, str):
            raise LaunchError(LaunchProblem.MISSING_CLAIM, "no nonce", claim="nonce")
        if self._login_nonce is None or self._login_nonce != nonce:
            raise LaunchError(LaunchProblem.REPLAYED, "nonce unknown or already used")
        return self

    def validate_deployment(self) -> _QadamMessageLaunch:
        deployment_id = self._jwt.get("body", {}).get(c.DEPLOYMENT_ID)
        if not deployment_id:
            raise LaunchError(
                LaunchProblem.MISSING_CLAIM, "no deployment id", claim=c.DEPLOYMENT_ID
            )
        _registration, record = self._registered()
        if str(deployment_id) not in record.deployment_ids:
            raise LaunchError(
                LaunchProblem.UNKNOWN_DEPLOYMENT, f"deployment {deployment_id!r} not registered"
            )
        return self

    def validate_message(self) -> _QadamMessageLaunch:
        body: dict[str, Any] = dict(self._jwt.get("body", {}))
        message_type = body.get(c.MESSAGE_TYPE)
        if not message_type:
            raise LaunchError(LaunchProblem.MISSING_CLAIM, "no message type", claim=c.MESSAGE_TYPE)
        version = body.get(c.VERSION)
        if version != "1.3.0":
            raise LaunchError(LaunchProblem.WRONG_VERSION, f"LTI version {version!r}")
        if not isinstance(message_type, str) or message_type not in set(c.MessageType):
            raise LaunchError(LaunchProblem.UNSUPPORTED_MESSAGE, f"message type {message_type!r}")
        if not isinstance(body.get("sub"), str) or not body["sub"]:
            raise LaunchError(LaunchProblem.MISSING_CLAIM, "sub is not a string", claim="sub")
        if not isinstance(body.get(c.ROLES), list):
            raise LaunchError(LaunchProblem.MISSING_CLAIM, "no roles", claim=c.ROLES)
        if message_type == c.MessageType.RESOURCE_LINK and not _mapping(
            body.get(c.RESOURCE_LINK)
        ).get("id"):
            raise LaunchError(
                LaunchProblem.MISSING_CLAIM, "no resource link", claim=c.RESOURCE_LINK
            )
        if message_type == c.MessageType.DEEP_LINKING and not _mapping(
            body.get(c.DEEP_LINKING_SETTINGS)
        ).get("deep_link_return_url"):
            raise LaunchError(
                LaunchProblem.MISSING_CLAIM,
                "no deep linking return url",
                claim=c.DEEP_LINKING_SETTINGS,
            )
        try:
            super().validate_message()
        except LtiException as exc:
            raise LaunchError(LaunchProblem.MALFORMED_TOKEN, str(exc)) from exc
        return self

    def save_launch_data(self) -> _QadamMessageLaunch:
        self._login_claimed = True
        if not self._session.claim_login(self._launch_id, self._jwt["body"]):
            raise LaunchError(LaunchProblem.REPLAYED, "the login of this state was used already")
        return self


def launch_id_of(nonce: str) -> str:
    """The id a launch is stored under: its login's nonce (random, and single-use)."""
    return "lti1p3-launch-" + nonce


def _verification_key(jwk: Mapping[str, Any], alg: str) -> Any:
    """The key object that checks ``alg`` signatures for ``jwk``, converted once per process.

    A key that PyJWT refuses to prepare is returned as PEM, for the check to refuse it.
    """
    jwk_json = json.dumps(jwk, sort_keys=True)
    key = _converted_keys.get(jwk_json)
    if key is not None:
        return key
    try:
        pem = JWK.from_json(jwk_json).export_to_pem()
    except (ValueError, TypeError) as exc:
        raise LtiKeyException("Can't convert JWT key to PEM format") from exc
    try:
        key = jwt.get_algorithm_by_name(alg).prepare_key(pem)
    except (jwt.InvalidKeyError, NotImplementedError, ValueError, TypeError):
        return pem
    if len(_converted_keys) >= MAX_CONVERTED_KEYS:
        _converted_keys.clear()
    _converted_keys[jwk_json] = key
    return key


_decoder = TokenDecoder()
_session: requests.Session | None = None


def _shared_session() -> requests.Session:
    global _session
    if _session is None:
        _session = TimeoutSession()
    return _session


def validate_launch(
    tool_conf: LookupToolConf,
    storage: StoreLaunchDataStorage,
    states: LoginStates,
    *,
    login_url: str,
    leeway: int = 15,
    launch_lifetime: int = 8 * 3600,
    requests_session: requests.Session | None = None,
    custom_params: Collection[str] = (),
) -> Launch:
    """Check the launch in the current Flask request; return it or raise :class:`LaunchError`.

    Only the custom parameters named in ``custom_params`` are kept with the stored launch.
    """
    message_launch = _QadamMessageLaunch(
        tool_conf=tool_conf,
        storage=storage,
        states=states,
        leeway=leeway,
        launch_lifetime=launch_lifetime,
        login_url=login_url,
        requests_session=requests_session or _shared_session(),
        custom_params=custom_params,
    )
    message_launch.validate()
    body = message_launch.get_launch_data()
    return launch_from_claims(message_launch.get_launch_id(), body, message_launch.get_client_id())


def forget_login_state(response: Any, state: str | None, *, secure: bool) -> None:
    """Delete the browser's state cookie of a finished launch (pylti1p3 leaves it behind)."""
    if not state:
        return
    response.delete_cookie(
        state_cookie_name(state),
        path="/",
        secure=secure,
        httponly=True,
        samesite="None" if secure else None,
        partitioned=secure,
    )


def stored_launch(storage: StoreLaunchDataStorage, launch_id: str) -> Launch | None:
    """Return a launch validated earlier (kept server-side), or None once it has expired."""
    body = storage.get_value(launch_id)
    if not body:
        return None
    aud = body.get("aud")
    client_id = body.get("azp") or (aud[0] if isinstance(aud, list) else aud)
    return launch_from_claims(launch_id, body, _as_str(client_id))
