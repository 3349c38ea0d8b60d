"""Headers every staff page carries, the session cookie, and the checks a form passes."""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler

COOKIE = "lotsenbot_staff"
COOKIE_PATH = "/staff"

# No script or style from anywhere else, none inline; never inside another site's frame.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    # The sign-in link carries its token: no other site may learn the address.
    "Referrer-Policy": "no-referrer",
    # Lists of people must not stay in a shared PC's cache.
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The same headers on every answer, error pages included."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers.update(HEADERS)
        raise
    response.headers.update(HEADERS)
    return response


def set_session_cookie(
    response: web.StreamResponse, session_id: str, *, secure: bool, max_age: int
) -> None:
    response.set_cookie(
        COOKIE,
        session_id,
        path=COOKIE_PATH,
        httponly=True,
        samesite="Strict",
        secure=secure,
        max_age=max_age,
    )


def clear_session_cookie(response: web.StreamResponse, *, secure: bool) -> None:
    response.del_cookie(COOKIE, path=COOKIE_PATH, secure=secure, httponly=True, samesite="Strict")


def session_id(request: web.Request) -> str | None:
    return request.cookies.get(COOKIE) or None


def from_elsewhere(request: web.Request, public_url: str) -> bool:
    """Whether the browser says this form was sent from another site (it never is from
    ours): the sign-in form has no session yet, so no CSRF token to check. Browsers send
    Sec-Fetch-Site; Origin is only a fallback (it is "null" under no-referrer)."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site not in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None or origin == "null" or not public_url:
        return False
    ours = urlsplit(public_url)
    return origin.rstrip("/") != f"{ours.scheme}://{ours.netloc}"
