"""Which intranet sites may embed the widget, and how their requests are checked.

Declared in a TOML file (``ASSISTANT_SITES_FILE``)::

    [sites.intranet-hr]
    origins = ["https://intranet.example.com"]
    rate_limit = "30/minute"          # per client address; N/second, N/minute or N/hour
    # secret = "..."                  # or secret_file = "/etc/assistant/hr.secret"

A site without a secret is served only to pages from its origins: the panel checks the
embedding page's origin and answers with ``Content-Security-Policy: frame-ancestors`` limited
to them; API calls then carry a short-lived session token the panel was given, or come
cross-origin from an allowed origin (CORS). A site with a secret needs a token minted by the
embedding page's own server: a JWT signed with HS256 and the shared secret, with claims
``site`` and ``exp`` (at most :data:`MAX_TOKEN_SECONDS` ahead). A missing, expired or forged
token gets 401; a client over the rate limit gets 429 with ``Retry-After``.

Shared state: with ``ASSISTANT_REDIS_URL`` the rate-limit counters (the ``limits`` library's
Redis storage) and the key that signs panel tokens live in Redis, so every worker and host
behind a load balancer counts the same client once and accepts each other's panel tokens, and a
restart logs nobody out. Without it both live in the process's memory.
"""

from __future__ import annotations

import math
import secrets
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import jwt
import limits

from ..errors import InvalidSetting

MAX_TOKEN_SECONDS = 3600
PANEL_TOKEN_SECONDS = 900
MIN_SECRET_BYTES = 32  # HS256 wants a key at least as long as its hash (RFC 7518, 3.2)
FIRST_PARTY = "first-party"  # the rate-limit bucket of calls that name no site


class Denied(Exception):
    """A request the site's rules do not allow; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str, retry_after: int | None = None, site: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after
        self.site = site


def origin_of(url: str | None) -> str | None:
    """``scheme://host[:port]`` of a URL or Origin header; None when there is none."""
    if not url or url == "null":
        return None
    parts = urlparse(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


@dataclass
class Site:
    name: str
    origins: list[str]
    rate: str  # "30/minute"
    secret: str | None = None


PANEL_KEY = "istanbul-assistant:panel-key"  # the Redis key of the shared panel-token signing key
LIMITS_PREFIX = "istanbul-assistant"


class RateLimiter:
    """Moving-window limits per key, with the ``limits`` library: in-process storage, or Redis
    shared by every worker when ``redis_url`` is given."""

    def __init__(self, redis_url: str | None = None) -> None:
        storage = (
            limits.storage.storage_from_string(redis_url, key_prefix=LIMITS_PREFIX)
            if redis_url
            else limits.storage.MemoryStorage()
        )
        self._limiter = limits.strategies.MovingWindowRateLimiter(storage)

    def take(self, key: str, rate: str) -> int | None:
        """None when allowed; otherwise the seconds to wait before the next request."""
        item = limits.parse(rate)
        if self._limiter.hit(item, key):
            return None
        reset = self._limiter.get_window_stats(item, key).reset_time
        return max(1, math.ceil(reset - time.time()))


class Sites:
    def __init__(self, sites: dict[str, Site], redis_url: str | None = None) -> None:
        self.sites = sites
        self.limiter = RateLimiter(redis_url)
        # Without Redis, panel session tokens die with the process; with it, every worker signs
        # and checks them with the one key the first worker stored.
        self._panel_key = _shared_panel_key(redis_url) if redis_url else secrets.token_bytes(32)

    @classmethod
    def load(cls, path: Path | None, redis_url: str | None = None) -> Sites:
        if path is None:
            return cls({}, redis_url)
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise InvalidSetting(f"The sites file {path} cannot be read: {exc}") from exc
        sites = {}
        for name, raw in data.get("sites", {}).items():
            origins = [origin_of(o) for o in raw.get("origins", [])]
            if not origins or None in origins:
                raise InvalidSetting(f"Site {name!r} in {path} needs 'origins', each like https://host[:port]")
            rate = str(raw.get("rate_limit", "30/minute"))
            try:
                limits.parse(rate)
            except ValueError as exc:
                raise InvalidSetting(f"Site {name!r} in {path}: rate_limit must look like '30/minute'") from exc
            sites[name] = Site(name, origins, rate, _secret(name, path, raw))  # type: ignore[arg-type]
        return cls(sites, redis_url)

    @property
    def all_origins(self) -> set[str]:
        return {o for s in self.sites.values() for o in s.origins}

    def get(self, name: str | None) -> Site:
        if not self.sites:
            raise Denied(404, "No site may embed the assistant: the server has no sites file (ASSISTANT_SITES_FILE).")
        if not name:
            raise Denied(404, "The widget did not say which site it is on (the script tag's data-site).")
        site = self.sites.get(name)
        if site is None:
            raise Denied(404, f"Unknown site {name!r}: it is not declared in the server's sites file.")
        return site

    def panel_token(self, site: Site, origin: str) -> str:
        now = int(time.time())
        claims = {"site": site.name, "origin": origin, "iat": now, "exp": now + PANEL_TOKEN_SECONDS}
        return jwt.encode(claims, self._panel_key, algorithm="HS256")

    def check_site_token(self, site: Site, token: str | None) -> None:
        """The embedding server's token for a site with a secret."""
        if not token:
            raise Denied(401, f"Site {site.name!r} requires a signed token, and none was sent.")
        claims = _decode(token, site.secret or "", "site token")
        if claims.get("site") != site.name:
            raise Denied(401, "The token was issued for another site.")
        if claims["exp"] - time.time() > MAX_TOKEN_SECONDS + 60:
            raise Denied(401, f"The token lives too long: at most {MAX_TOKEN_SECONDS} seconds are allowed.")

    def authorize(
        self,
        site_name: str | None,
        token: str | None,
        origin: str | None,
        client: str,
        own: tuple[str | None, ...] = (),
    ) -> Site:
        """Check a site-scoped API request; raises :class:`Denied` when it is not allowed.
        ``own`` holds this server's origins (as requested, and its public URL's): the panel,
        served from it, calls the API from there."""
        site = self.get(site_name)
        if site.secret:
            self.check_site_token(site, token)
        elif token:
            claims = _decode(token, self._panel_key, "panel token")
            if claims.get("site") != site.name:
                raise Denied(401, "The panel token was issued for another site.")
            sent_from = origin_of(origin)
            if sent_from is not None and sent_from not in (claims.get("origin"), *own):
                raise Denied(403, "The panel token was issued to a page of another origin.")
        elif origin_of(origin) not in site.origins:
            raise Denied(403, f"Requests for site {site.name!r} are accepted only from its allowed origins.")
        try:
            self.limit(site.name, client, site.rate)
        except Denied as exc:
            exc.site = site.name
            raise
        return site

    def limit(self, bucket: str, client: str, rate: str) -> None:
        """Count one request of ``client`` in ``bucket``; :class:`Denied` (429) over the limit."""
        wait = self.limiter.take(f"{bucket}|{client}", rate)
        if wait is not None:
            raise Denied(429, f"Too many questions from this address; try again in {wait} s.", retry_after=wait)


def _shared_panel_key(url: str) -> bytes:
    """The panel-token signing key every worker shares: set once (SET NX), read by all. Also the
    start-up check: an unreachable Redis stops the server, naming the setting, since a worker that
    silently fell back to its own memory would give clients N times their limit."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        client.set(PANEL_KEY, secrets.token_hex(32), nx=True)
        key: Any = client.get(PANEL_KEY)
    except (redis.RedisError, OSError, ValueError) as exc:
        raise InvalidSetting(f"ASSISTANT_REDIS_URL: cannot reach Redis at {url} ({exc})") from exc
    if not isinstance(key, bytes) or not key:
        raise InvalidSetting(f"ASSISTANT_REDIS_URL: Redis at {url} did not keep the panel key")
    return key


def _secret(name: str, path: Path, raw: dict) -> str | None:
    """A site's shared secret, from ``secret`` or ``secret_file``; an empty, short or unreadable
    one stops the server at start-up, since it would silently turn the site into an open one."""
    if "secret" not in raw and "secret_file" not in raw:
        return None
    if raw.get("secret_file"):
        try:
            secret = Path(raw["secret_file"]).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise InvalidSetting(
                f"Site {name!r} in {path}: its secret_file {raw['secret_file']} cannot be read ({exc.strerror or exc})"
            ) from exc
    else:
        secret = str(raw.get("secret") or "")
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise InvalidSetting(
            f"Site {name!r} in {path}: its secret is {len(secret.encode())} bytes long; at least {MIN_SECRET_BYTES} "
            "are needed (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
        )
    return secret


def _decode(token: str, key: str | bytes, what: str) -> dict:
    """The token's claims, checked for shape as well as signature: a validly signed token with
    an ``exp`` of "1767225600" (PyJWT accepts numeric strings) or a ``site`` that is not text
    is refused in plain words like a forged one, not failed on later."""
    try:
        claims = jwt.decode(token, key, algorithms=["HS256"], options={"require": ["exp"]})
    except jwt.ExpiredSignatureError as exc:
        raise Denied(401, f"The {what} has expired; reload the page to get a new one.") from exc
    except jwt.InvalidTokenError as exc:
        raise Denied(401, f"The {what} is not valid ({exc}).") from exc
    except (TypeError, ValueError, OverflowError) as exc:  # claims PyJWT itself trips on
        raise Denied(401, f"The {what} is malformed ({type(exc).__name__}).") from exc
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int | float) or exp != exp:
        raise Denied(401, f"The {what} is malformed: its exp claim must be a number of seconds since 1970.")
    for name in ("site", "origin"):
        if name in claims and not isinstance(claims[name], str):
            raise Denied(401, f"The {what} is malformed: its {name} claim must be text.")
    return claims
