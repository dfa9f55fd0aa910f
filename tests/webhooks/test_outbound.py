"""vs_common.outbound, the rules of every request to a URL a person gave (webhooks), with
real HTTP to a real receiver in this process: the URL's and the addresses' rules, the
connection pinned to the address checked (DNS rebinding), TLS checked against the name,
redirects re-checked, the deadline."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from vs_common import outbound

from .hookkit import Receiver

pytestmark = pytest.mark.fast
BODY = b'{"type":"video.ready"}'


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


def resolver(answers: dict[str, list[str]], calls: list | None = None):
    """getaddrinfo for test names: each name's addresses (IP literals resolve as
    themselves); `calls` collects the names asked for."""

    def resolve(host, port, **_kw):
        if calls is not None:
            calls.append(host)
        addresses = answers.get(host, [host])
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses
        ]

    return resolve


@pytest.mark.parametrize(
    ("address", "private_allowed", "refused_as"),
    [
        ("169.254.169.254", True, "link-local"),
        ("fe80::1", True, "link-local"),
        ("::ffff:169.254.169.254", True, "link-local"),  # IPv4-mapped
        ("64:ff9b::a9fe:a9fe", True, "link-local"),  # NAT64 of the metadata address
        ("2002:a9fe:a9fe::1", True, "link-local"),  # 6to4 of it
        ("127.0.0.1", False, "loopback"),
        ("::1", False, "loopback"),
        ("10.0.0.5", False, "private"),
        ("172.16.3.4", False, "private"),
        ("192.168.1.1", False, "private"),
        ("fd00::2", False, "unique-local"),
        ("0.0.0.0", False, "unspecified"),
        ("224.0.0.1", False, "multicast"),
        ("240.0.0.1", False, "reserved"),
        ("100.64.0.1", False, "shared (carrier-grade NAT)"),
        ("::ffff:10.0.0.1", False, "private"),
    ],
)
def test_refused_addresses(address, private_allowed, refused_as):
    refusal = outbound.address_refusal(ipaddress.ip_address(address), private_allowed)
    assert refusal is not None and refusal.startswith(refused_as)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.5", "fd00::2", "100.64.0.1", "8.8.8.8", "2606:4700::1"])
def test_allowed_with_private_allowed(address):
    assert outbound.address_refusal(ipaddress.ip_address(address), True) is None


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700::1", "1.1.1.1"])
def test_public_addresses_allowed(address):
    assert outbound.address_refusal(ipaddress.ip_address(address), False) is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/x", "scheme must be http or https"),
        ("file:///etc/passwd", "scheme must be http or https"),
        ("gopher://127.0.0.1:6379/_", "scheme must be http or https"),
        ("http:///path", "no host"),
        ("https://user:pw@example.com/", "credentials"),
        ("http://example.com:99999/", "port"),
        ("http://example.com:0/", "port"),
        ("http://exa mple.com/", "spaces or control characters"),
        ("http://example.com/\r\nX-Injected: 1", "spaces or control characters"),
        ("http://" + "a" * 2050 + ".com/", "longer than 2048"),
        ("", "missing"),
    ],
)
def test_urls_refused_by_their_form(url, reason):
    with pytest.raises(outbound.Refused, match=reason):
        outbound.check_url(url)


def test_registration_resolves_and_refuses_any_bad_address():
    """A name with a public address first and the metadata address next is refused:
    every address is checked, not the first."""
    both = resolver({"mixed.test": ["8.8.8.8", "169.254.169.254"], "public.test": ["8.8.8.8"]})
    with pytest.raises(outbound.Refused, match="mixed.test resolves to 169.254.169.254, which is link-local"):
        outbound.check_endpoint("https://mixed.test/hook", True, both)
    outbound.check_endpoint("https://public.test/hook", False, both)  # no refusal
    with pytest.raises(outbound.Refused, match="does not resolve"):
        outbound.check_endpoint("https://nowhere.invalid/hook", True)


def test_loopback_refused_unless_allowed(receiver):
    """Without WEBHOOK_ALLOW_PRIVATE a receiver on loopback gets nothing; with it, the POST."""
    receiver.secrets["/hook"] = "whsec_" + "A" * 32
    with pytest.raises(outbound.Refused, match="127.0.0.1 is loopback"):
        outbound.post(receiver.url(), BODY, {}, allow_private=False)
    assert receiver.got() == []
    assert outbound.post(receiver.url(), BODY, {}, allow_private=True) == 200
    assert [r.body for r in receiver.got()] == [BODY]


def test_link_local_refused_even_when_private_allowed():
    for url in ("http://169.254.169.254/latest/meta-data/", "http://[fe80::1]:8080/", "http://metadata.test/"):
        with pytest.raises(outbound.Refused, match="link-local"):
            outbound.post(url, BODY, {}, allow_private=True, resolve=resolver({"metadata.test": ["169.254.169.254"]}))


@pytest.mark.parametrize("to", ["http://169.254.169.254/latest/meta-data/", "http://metadata.test:80/x"])
def test_redirect_to_link_local_refused(receiver, to):
    receiver.script("/hook", (302, to))
    with pytest.raises(outbound.Refused, match="redirected, and .*link-local"):
        outbound.post(
            receiver.url(), BODY, {}, allow_private=True, resolve=resolver({"metadata.test": ["169.254.169.254"]})
        )
    assert len(receiver.got()) == 1  # the first hop was made; the redirect never was


def test_redirect_to_loopback_refused(monkeypatch):
    """A public endpoint (here 127.0.0.2, which this test alone counts as public) that
    redirects to loopback: the new URL is checked by the real rules, and refused."""
    first = Receiver(host="127.0.0.2").start()
    inner = Receiver().start()
    try:
        real = outbound.address_refusal
        monkeypatch.setattr(
            outbound,
            "address_refusal",
            lambda ip, allow: None if str(ip) == "127.0.0.2" else real(ip, allow),
        )
        first.script("/hook", (307, inner.url("/secret")))
        with pytest.raises(outbound.Refused, match="redirected, and 127.0.0.1 is loopback"):
            outbound.post(first.url(), BODY, {}, allow_private=False)
        assert len(first.got()) == 1 and inner.got() == []
        # The same redirect with private addresses allowed is followed: the check above is
        # what stopped it.
        first.script("/hook", (307, inner.url("/secret")))
        assert outbound.post(first.url(), BODY, {}, allow_private=True) == 200
        assert [r.path for r in inner.got()] == ["/secret"]
    finally:
        first.stop()
        inner.stop()


def test_redirects_followed_at_most_three_times(receiver):
    for n in range(4):
        receiver.script(f"/r{n}", (301 + (n % 2), receiver.url(f"/r{n + 1}")))
    with pytest.raises(outbound.Unreachable, match="more than 3 redirects"):
        outbound.post(receiver.url("/r0"), BODY, {}, allow_private=True)
    assert [r.path for r in receiver.got()] == ["/r0", "/r1", "/r2", "/r3"]
    # Three are followed, with the POST and its body sent again; a relative Location too.
    receiver.script("/a", (308, "/b"))
    receiver.script("/b", (303, receiver.url("/c")))
    assert outbound.post(receiver.url("/a"), BODY, {"X-Sig": "s"}, allow_private=True) == 200
    last = receiver.got()[-3:]
    assert [(r.path, r.body, r.headers["x-sig"]) for r in last] == [
        ("/a", BODY, "s"),
        ("/b", BODY, "s"),
        ("/c", BODY, "s"),
    ]


def test_connects_to_the_address_checked_not_a_second_answer(receiver):
    """DNS rebinding: the name answers a loopback address (allowed here) when checked,
    the metadata address afterwards. The request goes to the address that was checked,
    the name asked once per request, and the Host header keeps the name."""
    calls: list[str] = []
    answers = iter([["127.0.0.1"], ["169.254.169.254"], ["169.254.169.254"]])

    def rebinding(host, port, **kw):
        calls.append(host)
        return resolver({host: next(answers)})(host, port, **kw)

    url = f"http://rebind.test:{receiver.port}/hook"
    assert outbound.post(url, BODY, {}, allow_private=True, resolve=rebinding) == 200
    assert calls == ["rebind.test"]
    assert receiver.got()[0].headers["host"] == f"rebind.test:{receiver.port}"


def test_a_slow_answer_ends_at_the_deadline():
    """An endpoint that accepts the connection and never answers: Unreachable once the
    timeout has passed, not a worker held forever."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    try:
        with pytest.raises(outbound.Unreachable, match="no answer from 127.0.0.1 within 1 s"):
            outbound.post(f"http://127.0.0.1:{server.getsockname()[1]}/", BODY, {}, allow_private=True, timeout=1)
    finally:
        server.close()


def test_refused_connection_is_unreachable(receiver):
    port = receiver.port
    receiver.stop()
    with pytest.raises(outbound.Unreachable, match="ConnectionRefusedError"):
        outbound.post(f"http://127.0.0.1:{port}/hook", BODY, {}, allow_private=True)


# -- TLS: the certificate and SNI are the name's, the connection the checked address's ----


def _tls_files(tmp_path, name: str):
    """A test CA and a certificate for `name` it signed: (CA PEM path, cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Reelhouse test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


def test_https_checks_the_certificate_of_the_name(tmp_path):
    ca, cert, key = _tls_files(tmp_path, "hooks.test")
    seen: dict[str, str | None] = {}
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    server_ctx.sni_callback = lambda sock, name, ctx: seen.update(sni=name)  # None: go on

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            seen["host"] = self.headers["Host"]
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = server_ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    client_ctx = ssl.create_default_context(cafile=str(ca))
    names = resolver({"hooks.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
    try:
        status = outbound.post(
            f"https://hooks.test:{port}/h", BODY, {}, allow_private=True, resolve=names, context=client_ctx
        )
        assert status == 204
        assert seen == {"sni": "hooks.test", "host": f"hooks.test:{port}"}
        # The same server reached under a name its certificate does not hold: refused.
        with pytest.raises(outbound.Unreachable, match="TLS with other.test failed"):
            outbound.post(
                f"https://other.test:{port}/h", BODY, {}, allow_private=True, resolve=names, context=client_ctx
            )
        # And its certificate is not trusted by the system's store (no test CA there).
        with pytest.raises(outbound.Unreachable, match="TLS with hooks.test failed"):
            outbound.post(f"https://hooks.test:{port}/h", BODY, {}, allow_private=True, resolve=names)
    finally:
        server.shutdown()
        server.server_close()
