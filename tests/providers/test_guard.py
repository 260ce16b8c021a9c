"""The SSRF guard: internal addresses in every spelling refused, the checked address pinned
in the connection (no second DNS lookup to rebind), redirects re-checked hop by hop."""

from __future__ import annotations

from collections.abc import Sequence

import httpx2
import pytest

from storyreel.providers.guard import Guard, Resolver, URLRefused, is_public

PUBLIC = "93.184.216.34"


def resolver_of(*answers: Sequence[str]) -> tuple[list[str], Resolver]:
    """A DNS server that gives each answer in turn, and a log of the names it was asked."""
    asked: list[str] = []
    queue = list(answers)

    async def resolve(host: str, port: int) -> Sequence[str]:
        asked.append(host)
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return asked, resolve


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "gopher://example.com:70/_GET",
        "ftp://example.com/x",
        "http:///nohost",
        "http://127.0.0.1/",
        "http://127.0.0.1:5432/",
        "http://0.0.0.0:8000/admin",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://169.254.169.254/latest/meta-data/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://[::1]/",
        "http://[::]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://[2002:7f00:1::]/",  # 6to4 wrapping 127.0.0.1
        "http://[fe80::1]/",
        "http://[fe80::1%25eth0]/",
        "http://[fc00::1]/",
        "http://[ff02::1]/",
        "http://2130706433/",  # decimal 127.0.0.1
        "http://017700000001/",  # octal
        "http://0x7f000001/",  # hex
        "http://0x7f.1/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://evil@127.0.0.1/",
        "http://user:pass@example.com/",
        "http://example.com@127.0.0.1/",
    ],
)
async def test_internal_and_odd_urls_are_refused(url: str) -> None:
    _, resolve = resolver_of([PUBLIC])
    with pytest.raises(URLRefused, match=r"refusing|cannot resolve"):
        await Guard(resolver=resolve).pin(url)


@pytest.mark.parametrize("host", ["localhost", "localhost.", "LOCALHOST.", "metadata.internal"])
async def test_names_that_resolve_inside_are_refused(host: str) -> None:
    asked, resolve = resolver_of(["127.0.0.1"] if "local" in host.lower() else ["169.254.169.254"])
    with pytest.raises(URLRefused, match="internal"):
        await Guard(resolver=resolve).pin(f"http://{host}:6379/")
    assert asked == [host.lower().rstrip(".")]


async def test_one_internal_answer_among_public_ones_is_enough_to_refuse() -> None:
    _, resolve = resolver_of([PUBLIC, "10.0.0.7"])
    with pytest.raises(URLRefused, match=r"10\.0\.0\.7"):
        await Guard(resolver=resolve).pin("https://cdn.example/a.png")


async def test_the_real_resolver_sees_localhost_with_a_trailing_dot() -> None:
    with pytest.raises(URLRefused, match=r"internal|cannot resolve"):
        await Guard().pin("http://localhost./")


def test_is_public() -> None:
    import ipaddress

    assert is_public(ipaddress.ip_address(PUBLIC))
    assert is_public(ipaddress.ip_address("2606:4700:4700::1111"))
    assert not is_public(ipaddress.ip_address("::ffff:10.0.0.1"))


async def test_trusted_origin_is_exact_scheme_host_and_port() -> None:
    guard = Guard(["http://127.0.0.1:9000/fal"])
    assert (await guard.pin("http://127.0.0.1:9000/_sim/files/a.png")).url.endswith("a.png")
    for other in ("http://127.0.0.1:9001/", "https://127.0.0.1:9000/", "http://localhost:9000/"):
        with pytest.raises(URLRefused):
            await guard.pin(other)


async def test_the_checked_address_is_pinned_so_rebinding_cannot_move_us() -> None:
    """The resolver answers public, then loopback. We connect to the public address we
    checked, with the name in Host and SNI, and never ask the resolver twice."""
    asked, resolve = resolver_of([PUBLIC], ["127.0.0.1"])
    seen: list[httpx2.Request] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, content=b"png")

    guard = Guard(resolver=resolve)
    url = "https://rebind.example:8443/a.png?x=1"
    async with (
        httpx2.AsyncClient(transport=httpx2.MockTransport(answer)) as client,
        guard.stream(client, url) as response,
    ):
        assert await response.aread() == b"png"
    assert asked == ["rebind.example"]
    [request] = seen
    assert str(request.url) == f"https://{PUBLIC}:8443/a.png?x=1"
    assert request.headers["host"] == "rebind.example:8443"
    assert request.extensions["sni_hostname"] == "rebind.example"


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.1:5432/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://2130706433/",
        "http://rebind.example/second-hop",  # the name now answers loopback
        "file:///etc/passwd",
        "http://127.0.0.1:9001/",  # the trusted host, another port
    ],
)
async def test_every_redirect_hop_is_checked_again(location: str) -> None:
    _, resolve = resolver_of([PUBLIC], ["127.0.0.1"])
    seen: list[str] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        seen.append(str(request.url))
        return httpx2.Response(302, headers={"location": location})

    guard = Guard(["http://127.0.0.1:9000"], resolve)
    async with httpx2.AsyncClient(transport=httpx2.MockTransport(answer)) as client:
        with pytest.raises(URLRefused):
            async with guard.stream(client, "http://rebind.example/a.png"):
                pass
    assert seen == [f"http://{PUBLIC}/a.png"]


async def test_redirect_loops_end() -> None:
    _, resolve = resolver_of([PUBLIC])

    def answer(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(302, headers={"location": "/again"})

    guard = Guard(resolver=resolve)
    async with httpx2.AsyncClient(transport=httpx2.MockTransport(answer)) as client:
        with pytest.raises(URLRefused, match="too many redirects"):
            async with guard.stream(client, "http://cdn.example/a.png"):
                pass
