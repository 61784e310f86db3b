"""Plain words, in the page's language, for every refused login, launch or registration."""

from __future__ import annotations

from flask_babel import gettext as _

from lti import LaunchError, LaunchProblem, RegistrationError, RegistrationProblem


def launch_problem_message(error: LaunchError) -> str:
    """Plain words for a refused login or launch, in the page's language."""
    messages = {
        LaunchProblem.MALFORMED_REQUEST: _(
            "This page only opens from a Moodle course. Go back to your course and open Qadam "
            "from there."
        ),
        LaunchProblem.MALFORMED_TOKEN: _(
            "Moodle's sign-in message could not be read. Go back to the course and try again."
        ),
        LaunchProblem.MISSING_STATE: _(
            "The sign-in from Moodle was incomplete. Go back to the course and open Qadam again."
        ),
        LaunchProblem.STATE_MISMATCH: _(
            "This sign-in was started in another browser or tab. Go back to the course and open "
            "Qadam again."
        ),
        LaunchProblem.COOKIES_BLOCKED: _(
            "Your browser blocked Qadam from keeping you signed in inside the Moodle page. "
            "Open Qadam in a new window to continue."
        ),
        LaunchProblem.UNKNOWN_PLATFORM: _(
            "This Moodle site is not registered with Qadam. Ask your school's Moodle "
            "administrator to register Qadam first."
        ),
        LaunchProblem.WRONG_AUDIENCE: _(
            "This sign-in was meant for another tool: the client ID does not match the one "
            "registered with Qadam. Ask your Moodle administrator to check the tool settings."
        ),
        LaunchProblem.WRONG_ISSUER: _(
            "This sign-in came from a different site than the one that started it. Go back to "
            "your course and open Qadam again."
        ),
        LaunchProblem.UNSUPPORTED_ALGORITHM: _(
            "Moodle's sign-in message was not signed in a way Qadam accepts (it needs RS256)."
        ),
        LaunchProblem.UNKNOWN_KEY: _(
            "Moodle's sign-in message was signed with a key Qadam does not know. If this "
            "continues, ask your Moodle administrator to check the tool's public keyset URL."
        ),
        LaunchProblem.PLATFORM_KEYS_UNAVAILABLE: _(
            "Qadam could not fetch the Moodle site's public keys to check the sign-in. Try again "
            "in a minute."
        ),
        LaunchProblem.BAD_SIGNATURE: _(
            "Moodle's sign-in message has an invalid signature, so Qadam cannot trust it."
        ),
        LaunchProblem.EXPIRED: _(
            "The sign-in from Moodle took too long and has expired. Go back to the course and "
            "open Qadam again. If it keeps happening, the server clocks may be wrong."
        ),
        LaunchProblem.NOT_YET_VALID: _(
            "The sign-in from Moodle is dated in the future. The clocks of Moodle and Qadam "
            "disagree; ask your administrator to check them."
        ),
        LaunchProblem.MISSING_CLAIM: _(
            "Moodle's sign-in message is missing required information (%(claim)s).",
            claim=error.claim or "?",
        ),
        LaunchProblem.REPLAYED: _(
            "This sign-in was already used. For your safety each sign-in works once: go back to "
            "the course and open Qadam again."
        ),
        LaunchProblem.UNKNOWN_DEPLOYMENT: _(
            "This Moodle tool deployment is not registered with Qadam. Ask your Moodle "
            "administrator to register the deployment ID."
        ),
        LaunchProblem.UNSUPPORTED_MESSAGE: _(
            "Qadam cannot handle this kind of request from Moodle."
        ),
        LaunchProblem.WRONG_VERSION: _("Qadam works with LTI 1.3; Moodle sent another version."),
        LaunchProblem.LAUNCH_EXPIRED: _(
            "Your Qadam session has ended. Go back to the course and open Qadam again."
        ),
    }
    return messages[error.problem]


def registration_problem_message(error: RegistrationError) -> str:
    """Plain words for a registration that could not be completed."""
    p = error.params
    messages = {
        RegistrationProblem.NOT_FROM_PLATFORM: lambda: _(
            "This address is for registering Qadam from a platform. In Moodle, paste it in "
            "Site administration → Plugins → Activity modules → External tool → Manage tools → "
            "Tool URL, then choose “Add LTI Advantage”."
        ),
        RegistrationProblem.INVITATION_REQUIRED: lambda: _(
            "Registering Qadam needs an invitation. Ask the people who run this Qadam server "
            "for a registration address (they make one with “flask platform invite”), paste it "
            "in Moodle into Site administration → Plugins → Activity modules → External tool → "
            "Manage tools → Tool URL, then choose “Add LTI Advantage”."
        ),
        RegistrationProblem.INVITATION_INVALID: lambda: _(
            "This registration address does not work: it is unknown, was already used, was "
            "withdrawn or has expired. Ask the people who run this Qadam server for a new one."
        ),
        RegistrationProblem.PLATFORM_EXISTS: lambda: _(
            "Qadam is already registered with %(issuer)s under the client ID %(client_id)s, and "
            "a registration from the platform never changes it. To replace that registration, "
            "the people who run this Qadam server use “flask platform add … --replace”.",
            issuer=p.get("issuer", ""),
            client_id=p.get("client_id", ""),
        ),
        RegistrationProblem.USERINFO_IN_URL: lambda: _(
            "The address %(url)s contains a user name or password. Qadam does not accept such "
            "addresses for registration.",
            url=p.get("url", ""),
        ),
        RegistrationProblem.BAD_CONFIGURATION_URL: lambda: _(
            "The platform's configuration address must be a plain http:// or https:// address."
        ),
        RegistrationProblem.ADDRESS_NOT_ALLOWED: lambda: _(
            "Qadam does not connect to %(url)s: it is, or leads to, a private or local network "
            "address. Register from the Moodle site's public address.",
            url=p.get("url", ""),
        ),
        RegistrationProblem.UNREACHABLE: lambda: _(
            "Qadam could not reach the platform at %(url)s. Check that the Qadam server can "
            "connect to the Moodle site.",
            url=p.get("url", ""),
        ),
        RegistrationProblem.HTTP_ERROR: lambda: _(
            "The platform answered HTTP %(status)s for its configuration at %(url)s.",
            status=p.get("status", ""),
            url=p.get("url", ""),
        ),
        RegistrationProblem.TOO_LARGE: lambda: _("The platform's configuration is too large."),
        RegistrationProblem.NOT_JSON: lambda: _(
            "The platform's configuration is not a JSON document."
        ),
        RegistrationProblem.MISSING_FIELD: lambda: _(
            "The platform's configuration has no usable %(field)s.", field=p.get("field", "")
        ),
        RegistrationProblem.ISSUER_MISMATCH: lambda: _(
            "The configuration at %(url)s names the issuer %(issuer)s, which is not where it was "
            "served. Qadam does not trust it.",
            url=p.get("url", ""),
            issuer=p.get("issuer", ""),
        ),
        RegistrationProblem.NOT_LTI_PLATFORM: lambda: _(
            "The address does not describe an LTI 1.3 platform."
        ),
        RegistrationProblem.REFUSED: lambda: (
            _(
                "The platform refused the registration (HTTP %(status)s).",
                status=p.get("status", ""),
            )
            + (" " + p["reason"] if p.get("reason") else "")
        ),
        RegistrationProblem.NO_CLIENT_ID: lambda: _(
            "The platform accepted the registration but gave no client ID."
        ),
        RegistrationProblem.NOT_TOOL_REGISTRATION: lambda: _(
            "The platform's answer was not a tool registration."
        ),
        RegistrationProblem.HOST_NOT_ALLOWED: lambda: _(
            "This Qadam server does not accept registrations from %(host)s.", host=p.get("host", "")
        ),
        RegistrationProblem.EXPIRED: lambda: _(
            "This registration has expired or was already completed. Start again from Moodle."
        ),
        RegistrationProblem.INCOMPLETE_FORM: lambda: _(
            "The registration form was incomplete. Start again from Moodle."
        ),
    }
    return messages[error.problem]()
