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
"""

from __future__ import annotations

import math
import re
import secrets
import threading
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import jwt

from ..errors import InvalidSetting

MAX_TOKEN_SECONDS = 3600
PANEL_TOKEN_SECONDS = 900
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour)\s*$")
_PER = {"second": 1, "minute": 60, "hour": 3600}


class Denied(Exception):
    """A request the site's rules do not allow; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


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
    rate: int
    per_seconds: int
    secret: str | None = None


@dataclass
class RateLimiter:
    """A token bucket per key: ``rate`` requests per ``per_seconds``, refilled smoothly."""

    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, key: str, rate: int, per_seconds: int) -> int | None:
        """None when allowed; otherwise the seconds to wait before the next request."""
        refill = rate / per_seconds
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(rate), now))
            tokens = min(float(rate), tokens + (now - last) * refill)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return None
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1 - tokens) / refill))


class Sites:
    def __init__(self, sites: dict[str, Site]) -> None:
        self.sites = sites
        self.limiter = RateLimiter()
        self._panel_key = secrets.token_bytes(32)  # panel session tokens die with the process

    @classmethod
    def load(cls, path: Path | None) -> Sites:
        if path is None:
            return cls({})
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise InvalidSetting(f"The sites file {path} cannot be read: {exc}") from exc
        sites = {}
        for name, raw in data.get("sites", {}).items():
            origins = [origin_of(o) for o in raw.get("origins", [])]
            if not origins or None in origins:
                raise InvalidSetting(f"Site {name!r} in {path} needs 'origins', each like https://host[:port]")
            m = _RATE.match(str(raw.get("rate_limit", "30/minute")))
            if not m:
                raise InvalidSetting(f"Site {name!r}: rate_limit must look like '30/minute'")
            secret = raw.get("secret")
            if raw.get("secret_file"):
                secret = Path(raw["secret_file"]).read_text(encoding="utf-8").strip()
            sites[name] = Site(name, origins, int(m.group(1)), _PER[m.group(2)], secret)  # type: ignore[arg-type]
        return cls(sites)

    @property
    def all_origins(self) -> set[str]:
        return {o for s in self.sites.values() for o in s.origins}

    def get(self, name: str | None) -> Site:
        site = self.sites.get(name or "")
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

    def authorize(self, site_name: str | None, token: str | None, origin: str | None, client: str) -> Site:
        """Check a site-scoped API request; raises :class:`Denied` when it is not allowed."""
        site = self.get(site_name)
        if site.secret:
            self.check_site_token(site, token)
        elif token:
            claims = _decode(token, self._panel_key, "panel token")
            if claims.get("site") != site.name:
                raise Denied(401, "The panel token was issued for another site.")
        elif origin_of(origin) not in site.origins:
            raise Denied(403, f"Requests for site {site.name!r} are accepted only from its allowed origins.")
        wait = self.limiter.take(f"{site.name}|{client}", site.rate, site.per_seconds)
        if wait is not None:
            raise Denied(429, f"Too many questions from this address; try again in {wait} s.", retry_after=wait)
        return site


def _decode(token: str, key: str | bytes, what: str) -> dict:
    try:
        return jwt.decode(token, key, algorithms=["HS256"], options={"require": ["exp"]})
    except jwt.ExpiredSignatureError as exc:
        raise Denied(401, f"The {what} has expired; reload the page to get a new one.") from exc
    except jwt.InvalidTokenError as exc:
        raise Denied(401, f"The {what} is not valid ({exc}).") from exc
