"""Requests Reelhouse makes to URLs people give it (webhook endpoints), made safe against
server-side request forgery: the URL's rules, the address rules, and a POST that
connects only to an address it checked.

- URL: `http` or `https`, a host, no credentials, no spaces or control characters, at
  most 2048 characters; any port.
- Addresses: the host is resolved (getaddrinfo) and refused if ANY of its addresses is
  link-local (169.254.0.0/16, fe80::/10: cloud instance metadata; always), or, unless
  WEBHOOK_ALLOW_PRIVATE=true, not a public one: loopback, private, unique-local,
  unspecified, multicast, reserved, shared (CGNAT 100.64.0.0/10) and the other special
  ranges. An IPv6 address that carries an IPv4 one (mapped, NAT64, 6to4, Teredo) is
  judged by that one too.
- The connection goes to an address that was checked (no second resolution, which DNS
  rebinding would answer differently), while the Host header, TLS's SNI and the
  certificate's check use the name.
- Redirects (301, 302, 303, 307, 308) are followed by hand, at most 3, each new URL
  checked as the first; the POST is sent again as it was (a webhook has no other form).
  No proxy is used (the environment's proxy variables are ignored: a proxy would resolve
  the name itself). The whole of one request, connection to answer, is bounded by the
  timeout.

At registration the URL is checked the same way (`check_endpoint`); at every delivery
again, since DNS answers change.
"""

from __future__ import annotations

import functools
import http.client
import ipaddress
import socket
import ssl
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit

MAX_URL_CHARS = 2048
MAX_REDIRECTS = 3
REDIRECTS = frozenset({301, 302, 303, 307, 308})
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[..., list]


class Refused(Exception):
    """The URL, or an address its host resolves to, is not allowed: the message says why."""


class Unreachable(Exception):
    """The request could not be made or answered (DNS, connection, TLS, timeout): the
    message says what happened (never the URL's path or query, which may hold a secret)."""


@dataclass(frozen=True)
class Target:
    """A checked URL: its scheme, the host as a name (ASCII), the port, and the path with
    its query (what the request line carries)."""

    scheme: str
    host: str
    port: int
    path: str


def check_url(url: str) -> Target:
    """The URL's own rules (module doc); Refused saying which it breaks."""
    if not isinstance(url, str) or not url:
        raise Refused("the URL is missing")
    if len(url) > MAX_URL_CHARS:
        raise Refused(f"the URL is longer than {MAX_URL_CHARS} characters")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise Refused("the URL has spaces or control characters")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise Refused("the URL's scheme must be http or https")
    if parts.username is not None or parts.password is not None:
        raise Refused("the URL may not hold credentials (user:password@)")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise Refused("the URL's port is not a number from 1 to 65535")
    port = port or (443 if scheme == "https" else 80)
    if not parts.hostname:
        raise Refused("the URL has no host")
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        raise Refused("the URL's host is not a valid name") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, host, port, quote(path, safe=string.punctuation))  # non-ASCII: %-escaped UTF-8


def _carried_ipv4(ip: Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 one carries (NAT64, 6to4, Teredo's client and server)."""
    if ip.version == 4:
        return []
    carried = []
    if ip in _NAT64:
        carried.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.sixtofour is not None:
        carried.append(ip.sixtofour)
    if ip.teredo is not None:
        carried.extend(ip.teredo)
    return carried


def _kind(ip: Address) -> str | None:
    """What a non-public address is ("loopback", "private"...), or None for a public one."""
    for kind, hit in (
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),
        ("multicast", ip.is_multicast),
        ("shared (carrier-grade NAT)", ip.version == 4 and ip in _SHARED),
        ("unique-local", ip.version == 6 and ip in _UNIQUE_LOCAL),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
    ):
        if hit:
            return kind
    return None if ip.is_global else "not a public address"


def address_refusal(ip: Address, allow_private: bool) -> str | None:
    """Why `ip` may not be connected to (module doc): what kind of address it is; None if
    it may."""
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    judged = [ip, *_carried_ipv4(ip)]
    if any(one.is_link_local for one in judged):
        return "link-local (where cloud instance metadata is served): never allowed"
    if allow_private:
        return None
    for one in judged:
        kind = _kind(one)
        if kind is not None:
            return f"{kind}: allowed only with WEBHOOK_ALLOW_PRIVATE=true"
    return None


def resolve_checked(target: Target, allow_private: bool, resolve: Resolver = socket.getaddrinfo) -> list[tuple]:
    """The host's addresses (getaddrinfo's (family, sockaddr)), all of them allowed:
    Refused if any is not (an attacker's name may list a public address first and the
    metadata address next); Unreachable if the name does not resolve."""
    try:
        infos = resolve(target.host, target.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise Unreachable(f"{target.host} does not resolve: {exc}") from None
    addresses = []
    for family, _type, _proto, _name, sockaddr in infos:
        ip = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        refusal = address_refusal(ip, allow_private)
        if refusal is not None:
            said = f"{ip} is" if target.host == str(ip) else f"{target.host} resolves to {ip}, which is"
            raise Refused(f"{said} {refusal}")
        addresses.append((family, sockaddr))
    if not addresses:
        raise Unreachable(f"{target.host} has no address")
    return addresses


def check_endpoint(url: str, allow_private: bool, resolve: Resolver = socket.getaddrinfo) -> None:
    """A webhook endpoint at registration: its URL's rules and its host's addresses now;
    Refused saying why (a name that does not resolve too)."""
    target = check_url(url)
    try:
        resolve_checked(target, allow_private, resolve)
    except Unreachable as exc:
        raise Refused(str(exc)) from None


# -- the request -----------------------------------------------------------------------


def _connect(addresses: list[tuple], timeout: float) -> socket.socket:
    """A TCP connection to the first of the checked addresses that answers."""
    error: OSError | None = None
    for family, sockaddr in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error or OSError("no address")


class _PinnedHTTP(http.client.HTTPConnection):
    """HTTP to the name `host` (its Host header) over a connection to checked addresses."""

    def __init__(self, host: str, port: int, addresses: list[tuple], timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._addresses = addresses

    def connect(self) -> None:
        self.sock = _connect(self._addresses, self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS likewise: TLS's SNI and the certificate's check are of the name."""

    def __init__(self, host: str, port: int, addresses: list[tuple], timeout: float, context: ssl.SSLContext):
        super().__init__(host, port, timeout=timeout, context=context)
        self._addresses = addresses

    def connect(self) -> None:
        self.sock = self._context.wrap_socket(_connect(self._addresses, self.timeout), server_hostname=self.host)


@functools.cache
def _system_trust() -> ssl.SSLContext:
    """The system's CA store, loaded once (tens of milliseconds each time); a context is
    safe to share between threads."""
    return ssl.create_default_context()


def _abort(conn: http.client.HTTPConnection, fired: threading.Event) -> None:
    """The deadline passed: wake whatever the request waits on (a slow, dripping answer)."""
    fired.set()
    sock = conn.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _post_once(
    target: Target,
    addresses: list[tuple],
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    context: ssl.SSLContext | None,
) -> tuple[int, str | None]:
    """One POST to a checked target: its status and Location header."""
    if target.scheme == "https":
        context = context or _system_trust()
        conn: http.client.HTTPConnection = _PinnedHTTPS(target.host, target.port, addresses, timeout, context)
    else:
        conn = _PinnedHTTP(target.host, target.port, addresses, timeout)
    fired = threading.Event()
    deadline = threading.Timer(timeout, _abort, (conn, fired))
    deadline.daemon = True
    deadline.start()
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(64 * 1024)  # the answer's body is not used; a bounded read ends it cleanly
        return response.status, response.getheader("Location")
    except ssl.SSLError as exc:
        raise Unreachable(f"TLS with {target.host} failed: {exc.reason or exc}") from None
    except (OSError, http.client.HTTPException) as exc:
        if fired.is_set() or isinstance(exc, TimeoutError):
            raise Unreachable(f"no answer from {target.host} within {timeout:g} s") from None
        raise Unreachable(f"{target.host}: {exc.__class__.__name__}: {exc}") from None
    finally:
        deadline.cancel()
        conn.close()


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allow_private: bool,
    timeout: float = 10.0,
    resolve: Resolver = socket.getaddrinfo,
    context: ssl.SSLContext | None = None,
) -> int:
    """POST `body` to `url` under the module's rules, following up to MAX_REDIRECTS
    redirects; the final answer's status. Refused (the URL or an address, redirects
    included) or Unreachable; a redirect without Location is its own answer."""
    for hop in range(MAX_REDIRECTS + 1):
        try:
            target = check_url(url)
            addresses = resolve_checked(target, allow_private, resolve)
        except Refused as exc:
            raise Refused(f"redirected, and {exc}" if hop else str(exc)) from None
        status, location = _post_once(target, addresses, body, headers, timeout, context)
        if status not in REDIRECTS or not location:
            return status
        url = urljoin(url, location)
    raise Unreachable(f"more than {MAX_REDIRECTS} redirects")
