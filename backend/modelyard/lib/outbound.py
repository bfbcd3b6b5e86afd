"""Requests the server makes to addresses its users chose (webhook receivers), without SSRF.

A user-supplied URL must not make the server reach its own loopback interface, the private
network it runs in, or a cloud metadata endpoint (169.254.169.254). Every address the host
name resolves to must be public (`ipaddress.is_global`) or inside a network the operator
allowed; the request then goes to the address that was checked (the name is kept for the
`Host` header and TLS), so a DNS answer that changes between the check and the connection
(rebinding) cannot redirect it. Redirects are not followed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence

import httpx

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class DestinationRefusedError(Exception):
    """The URL may not be requested (scheme, a non-public address, a name that does not resolve)."""


def parse_networks(text: str) -> list[IPNetwork]:
    """`10.0.0.0/8,127.0.0.1/32` as networks (ValueError names a malformed one)."""
    return [ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()]


def _refusal(address: IPAddress, allowed: Sequence[IPNetwork]) -> str | None:
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    checked = mapped or address
    if any(checked in network for network in allowed):
        return None
    if checked.is_global and not checked.is_multicast:
        return None
    kind = (
        "a loopback"
        if checked.is_loopback
        else "a link-local"
        if checked.is_link_local
        else "a private"
        if checked.is_private
        else "a non-public"
    )
    return f"{checked} is {kind} address"


def check_url(url: str, allowed: Sequence[IPNetwork]) -> httpx.URL:
    """The parsed URL when its form is acceptable: http(s), a host, no credentials, and, when the
    host is an address (or `localhost`), a public or allowed one. Names are checked at delivery."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise DestinationRefusedError(f"Not a URL: {exc}.") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise DestinationRefusedError("Use an http:// or https:// URL with a host.")
    if parsed.userinfo:
        raise DestinationRefusedError(
            "Credentials in the URL are not accepted; authenticate with the signature."
        )
    host = parsed.host.lower()
    if host == "localhost" or host.endswith(".localhost"):
        problem = _refusal(ipaddress.ip_address("127.0.0.1"), allowed)
        if problem is not None:
            raise DestinationRefusedError(f"{parsed.host} is a loopback name ({problem}).")
    else:
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None and (problem := _refusal(literal, allowed)) is not None:
            raise DestinationRefusedError(f"{problem}.")
    return parsed


async def resolve(url: httpx.URL, allowed: Sequence[IPNetwork]) -> IPAddress:
    """The address to connect to: every address the host resolves to must be acceptable."""
    host = url.host
    try:
        return _checked([ipaddress.ip_address(host)], host, allowed)
    except ValueError:
        pass
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise DestinationRefusedError(f"{host} does not resolve: {exc.strerror or exc}.") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    return _checked(addresses, host, allowed)


def _checked(addresses: Sequence[IPAddress], host: str, allowed: Sequence[IPNetwork]) -> IPAddress:
    if not addresses:
        raise DestinationRefusedError(f"{host} has no address.")
    for address in addresses:
        problem = _refusal(address, allowed)
        if problem is not None:
            raise DestinationRefusedError(f"{host} resolves to {problem}.")
    return addresses[0]


async def post_pinned(
    client: httpx.AsyncClient,
    url: str,
    *,
    content: bytes,
    headers: dict[str, str],
    allowed: Sequence[IPNetwork],
    timeout: float,
) -> httpx.Response:
    """POST to `url` at the address `resolve` checked; DestinationRefusedError when it may not."""
    parsed = check_url(url, allowed)
    address = await resolve(parsed, allowed)
    target = parsed.copy_with(host=str(address))
    host_header = parsed.netloc.decode("ascii")
    extensions = {"sni_hostname": parsed.host} if parsed.scheme == "https" else {}
    return await client.post(
        target,
        content=content,
        headers={**headers, "Host": host_header},
        timeout=timeout,
        follow_redirects=False,
        extensions=extensions,
    )
