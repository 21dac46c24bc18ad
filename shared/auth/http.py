"""The HTTP edge of access control: the bearer token read and verified, the role and branch checked.

Every route but /health and the OpenAPI documents depends on `authorize(*roles)`: one
dependency, so the roles table of docs/security.md is enforced in one place. Branch
and actor come from the token, never from the client.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from shared.auth.identity import Identity, Role
from shared.auth.tokens import InvalidToken
from shared.refusals import CommandRefused, FieldProblem

TENANT_HEADER = "X-Tenant"
_bearer = HTTPBearer(auto_error=False, description="a token from the identity provider, or `duo token issue`")


class Unauthenticated(CommandRefused):
    """No valid token: 401 with the reason, nothing changed."""

    status = 401

    def __init__(self, reason: str) -> None:
        super().__init__(f"not authenticated: {reason}", (FieldProblem("Authorization", "valid_bearer_token", reason),))


class Forbidden(CommandRefused):
    """A valid token whose role, branch or offices do not allow this: 403."""

    status = 403

    def __init__(self, field: str, rule: str, message: str) -> None:
        super().__init__(f"forbidden: {message}", (FieldProblem(field, rule, message),))


class OtherRegion(CommandRefused):
    """A token for a branch this deployment's region does not host: 421 (Misdirected Request), naming the region
    that does, so the client sends it there; nothing is read or changed here (docs/adr/0014)."""

    status = 421

    def __init__(self, message: str) -> None:
        super().__init__(f"misdirected: {message}", (FieldProblem("Authorization", "branch_hosted_here", message),))


class RepeatedHeader(CommandRefused):
    """A header that must be given once was given several times: 400."""

    status = 400

    def __init__(self, header: str) -> None:
        message = f"{header} must be given at most once"
        super().__init__(f"invalid request: {message}", (FieldProblem(header, "single_header", message),))


def identify(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Identity:
    """The caller's verified identity; Unauthenticated when the token is missing or does not verify."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("send a bearer token: Authorization: Bearer <token>")
    try:
        identity: Identity = request.app.state.token_verifier.verify(credentials.credentials)
    except InvalidToken as err:
        raise Unauthenticated(err.reason) from None
    _check_branch_header(request, identity)
    _check_region(request, identity)
    request.state.identity = identity
    return identity


def _check_branch_header(request: Request, identity: Identity) -> None:
    # X-Tenant is still accepted from older clients, but it can only repeat what the token says.
    stated = request.headers.getlist(TENANT_HEADER)
    if len(stated) > 1:
        raise RepeatedHeader(TENANT_HEADER)
    if stated and stated[0] != (identity.branch.value if identity.branch else None):
        raise Forbidden(TENANT_HEADER, "token_branch", "X-Tenant must be the branch of the token")


def _check_region(request: Request, identity: Identity) -> None:
    # The federation's tokens name no branch: each region answers them with its own branches' publications.
    runtime = getattr(request.app.state, "runtime", None)
    region = runtime.settings.region if runtime is not None else None
    if identity.branch is not None and region is not None and (refusal := region.refusal(identity.branch)):
        raise OtherRegion(refusal)


def authorize(*roles: Role) -> Callable[..., Any]:
    """A dependency that lets only `roles` through and gives the route the caller's identity."""
    allowed = frozenset(roles)

    # Async, so FastAPI runs it on the event loop: a synchronous dependency would be sent to a worker thread on every
    # request, a hand-over that cost more than the check. The check is CPU only (a signature verified with a key held
    # in memory), except with an identity provider's key set, whose keys may have to be fetched over the network:
    # that one still goes to a thread, so the loop never waits on it.
    async def dependency(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> Identity:
        if getattr(getattr(request.app.state, "token_verifier", None), "fetches_keys", True):
            identity = await run_in_threadpool(identify, request, credentials)
        else:
            identity = identify(request, credentials)
        if identity.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise Forbidden("role", "allowed_role", f"this needs the role {names}; the token's role is {identity.role}")
        return identity

    return dependency


def roles_doc(*roles: Role) -> dict[str, Any]:
    """The route's roles in its OpenAPI operation (x-roles), next to the bearer scheme the dependency declares."""
    return {"x-roles": sorted(r.value for r in roles)}
