"""Endpoint parsing shared by both providers: one rule for what a user may point us at."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from urllib.parse import urlsplit

from batchstat.errors import ConfigError, UnavailableError

# The variables requests reads for its CA bundle, in its order.
CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def is_loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1 (without ipaddress: it costs ~1.5 ms of every start)."""
    host = host.strip("[]").lower()
    if host in ("localhost", "::1", "0:0:0:0:0:0:0:1"):
        return True
    parts = host.split(".")
    return (
        len(parts) == 4 and parts[0] == "127" and all(p.isdigit() and int(p) <= 255 for p in parts)
    )


class Endpoint:
    __slots__ = ("host", "port", "scheme")

    def __init__(self, scheme: str, host: str, port: int | None) -> None:
        # "http" or "https", interned: aliyunsdkcore picks TLS with `protocol is PT.HTTPS`,
        # so a scheme built at run time (urlsplit, lower()) would silently mean plain http.
        self.scheme = sys.intern(scheme)
        self.host = host  # hostname or IP, without brackets
        self.port = port

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Endpoint) and self.base_url == other.base_url

    def __hash__(self) -> int:
        return hash(self.base_url)

    def __repr__(self) -> str:
        return f"Endpoint({self.base_url})"

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.netloc}"

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)


def parse_endpoint(value: str, *, source: str) -> Endpoint:
    """Parse ``scheme://host[:port]``; plain http is accepted for loopback hosts only.

    ``source`` names where the value came from (an option or a variable), for the message.
    """
    raw = value.strip()
    if "://" not in raw:
        raw = "https://" + raw
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as err:
        raise ConfigError(f"{source}: {value!r} is not a valid URL ({err}).") from err
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if scheme not in ("http", "https") or not host:
        raise ConfigError(
            f"{source}: {value!r} is not a valid endpoint.",
            "Give scheme, host and optional port, e.g. https://example.com or http://127.0.0.1:8080.",
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(
            f"{source}: {value!r} has a path or query; give only scheme, host and port.",
        )
    if parts.username or parts.password:
        raise ConfigError(f"{source}: credentials do not belong in the endpoint URL.")
    endpoint = Endpoint(scheme, host, port)
    if scheme == "http" and not endpoint.loopback:
        raise ConfigError(
            f"{source}: plain http is only allowed for loopback hosts, not {host!r}.",
            "Use https for a remote endpoint; http is for a local emulator (127.0.0.1).",
        )
    return endpoint


def proxies_for(endpoint: Endpoint, env: Mapping[str, str]) -> dict[str, str]:
    """The proxy for ``endpoint`` from ``env``, as requests would choose it.

    ``{scheme}_proxy`` (lower case first, then upper), else ``all_proxy``; none when
    ``no_proxy`` lists the host (``*``, a name or a domain suffix, optionally with a port,
    or an IP network). Read from the runtime's environment rather than ``os.environ``, and
    applied to both SDKs alike: aliyunsdkcore ignores ``NO_PROXY`` on its own.
    """

    def var(name: str) -> str:
        return (env.get(name) or env.get(name.upper()) or "").strip()

    proxy = var(f"{endpoint.scheme}_proxy") or var("all_proxy")
    if not proxy or _bypassed(endpoint, var("no_proxy")):
        return {}
    return {endpoint.scheme: proxy}


def _bypassed(endpoint: Endpoint, no_proxy: str) -> bool:
    host = endpoint.host.lower()
    port = endpoint.port or (443 if endpoint.scheme == "https" else 80)
    for entry in (e.strip().lower() for e in no_proxy.replace(" ", ",").split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        if "/" in entry:
            import ipaddress

            try:
                if ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
            continue
        name, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if entry_port and entry_port != str(port):
            continue
        name = name.lstrip("*").lstrip(".").strip("[]")
        if host == name or host.endswith("." + name):
            return True
    return False


def ca_bundle(
    option: str | None, env: Mapping[str, str], *, also: tuple[str, ...] = ()
) -> str | None:
    """The CA bundle to verify https with; None for the default trust store (verification
    itself is never off).

    ``--ca-bundle`` (``option``), else ``REQUESTS_CA_BUNDLE``, else ``CURL_CA_BUNDLE``, else
    the variables in ``also`` (an SDK's own), in that order; an empty variable counts as
    unset, as requests has it. A path that is not a file is a :class:`ConfigError` naming
    where it came from, raised before any request is sent.
    """
    if option is not None:  # given, even empty: it must name a file
        sources = [("--ca-bundle", option)]
    else:
        sources = [(name, env.get(name) or "") for name in (*CA_BUNDLE_VARIABLES, *also)]
        sources = [(name, path) for name, path in sources if path]
    for source, path in sources:
        if not os.path.isfile(path):
            problem = "is not a file" if os.path.exists(path) else "does not exist"
            raise ConfigError(
                f"{source}: the CA bundle {path!r} {problem}.",
                "Give a PEM file of the certificates to trust, e.g. your proxy's root CA.",
            )
        return path
    return None


# What OpenSSL says (lower case) -> the reason we give; the first match wins.
_TLS_REASONS = (
    ("unable to get local issuer certificate", "unknown certificate authority"),
    ("unable to get issuer certificate", "unknown certificate authority"),
    ("self-signed certificate", "unknown certificate authority"),
    ("self signed certificate", "unknown certificate authority"),
    ("hostname mismatch", "host name mismatch"),
    ("ip address mismatch", "host name mismatch"),
    ("doesn't match", "host name mismatch"),  # urllib3 1.x (vendored by aliyunsdkcore)
    ("certificate has expired", "certificate expired"),
    ("certificate is not yet valid", "certificate not yet valid"),
    ("certificate revoked", "certificate revoked"),
    ("no certificate or crl found", "the CA bundle holds no PEM certificate"),
    ("certificate verify failed", "verification failed"),
)
_TLS_HINTS = {
    "host name mismatch": "The certificate is for another host: check the endpoint.",
    "certificate expired": "Check the system clock; otherwise the server's certificate "
    "has run out and needs renewing.",
    "certificate not yet valid": "Check the system clock.",
    "the CA bundle holds no PEM certificate": "Give --ca-bundle (or REQUESTS_CA_BUNDLE) a PEM "
    "file of CA certificates.",
}
_TLS_HINT = (
    "If a corporate proxy or private CA signs it, pass --ca-bundle FILE or set REQUESTS_CA_BUNDLE."
)


def tls_failure(text: str) -> str | None:
    """Why certificate verification failed, from an SDK's error text; None when ``text``
    is not about a certificate (a timeout, a refused connection, a plain-http server)."""
    lowered = text.lower()
    if "ssl" not in lowered and "certificate" not in lowered:
        return None
    for needle, reason in _TLS_REASONS:
        if needle in lowered:
            return reason
    return None


def tls_error(endpoint: Endpoint, reason: str) -> UnavailableError:
    """The one message for a certificate that could not be verified (not worth a retry)."""
    return UnavailableError(
        f"the TLS certificate of {endpoint.base_url} could not be verified ({reason}).",
        _TLS_HINTS.get(reason, _TLS_HINT),
    )


_UNREACHABLE = (
    "connection refused",
    "name or service not known",
    "nodename nor servname",
    "failed to resolve",
    "temporary failure in name resolution",
    "getaddrinfo failed",
    "no address associated",
    "no route to host",
    "network is unreachable",
)


def unreachable(text: str) -> bool:
    """Whether an SDK's connection error says nothing answered at all (refused, unknown
    host, no route), as opposed to a failure once connected (reset, timeout)."""
    lowered = text.lower()
    return any(marker in lowered for marker in _UNREACHABLE)
