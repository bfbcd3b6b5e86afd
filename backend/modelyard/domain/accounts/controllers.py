"""HTTP endpoints of accounts: register, token, me (deleting an account is in workflows/controllers.py)."""

from __future__ import annotations

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, URLEncodedBody
from litestar.status_codes import HTTP_201_CREATED

from modelyard.domain.accounts.auth import TokenIssuer, UserRequest
from modelyard.domain.accounts.documents import UserDocument
from modelyard.domain.accounts.schemas import AccessToken, TokenRequest, User, UserCreate
from modelyard.domain.accounts.services import AccountService
from modelyard.lib.errors import FieldError
from modelyard.lib.openapi import AUTHENTICATED, PublicOperation, problem_responses


def to_user(doc: UserDocument) -> User:
    return User(id=str(doc.id), email=doc.email, created_at=doc.created_at)


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post(
        "/register",
        operation_id="registerUser",
        operation_class=PublicOperation,
        summary="Register an account",
        security=[],
        responses=problem_responses(
            400, 409, 422, 429, details={409: "An account with this email already exists."}
        ),
    )
    async def register(
        self, data: JSONBody[UserCreate], accounts: NamedDependency[AccountService]
    ) -> Response[User]:
        """Create an account from an email and a password (at least 8 characters).

        Emails are unique and compared case-insensitively: registering `Ada@Example.com`
        when `ada@example.com` exists is a 409. An email is stored in Unicode NFKC form
        (fullwidth and other compatibility characters folded). A 422 at `body.email` refuses
        an email with control or invisible characters (NUL, zero-width spaces, bidi
        overrides) or a part (the local part, a domain label) mixing letters of different
        scripts, such as a Cyrillic `a` (U+0430) among Latin letters; Japanese, Chinese and Korean
        mixes are allowed. Then request a token from `/api/v1/auth/token`.
        """
        user = to_user(await accounts.register(data.email, data.password))
        return Response(user, status_code=HTTP_201_CREATED, headers={"Location": "/api/v1/auth/me"})

    @post(
        "/token",
        operation_id="createAccessToken",
        operation_class=PublicOperation,
        summary="Get an access token",
        security=[],
        status_code=200,
        responses=problem_responses(
            400,
            401,
            422,
            429,
            details={
                401: "Incorrect email or password.",
                422: FieldError("Object missing required field `password`", "body"),
            },
        ),
    )
    async def token(
        self,
        data: URLEncodedBody[TokenRequest],
        accounts: NamedDependency[AccountService],
        tokens: NamedDependency[TokenIssuer],
    ) -> AccessToken:
        """Exchange email (`username`) and password for a bearer token (OAuth2 password grant).

        The body is a form (`application/x-www-form-urlencoded`). An unknown email and a
        wrong password give the same 401, so the response does not reveal which accounts exist.
        """
        user = await accounts.authenticate(data.username, data.password)
        return AccessToken(
            access_token=tokens.issue(str(user.id)), token_type="bearer", expires_in=tokens.expires_in
        )

    @get(
        "/me",
        operation_id="getCurrentUser",
        summary="Get the current account",
        responses=problem_responses(*AUTHENTICATED),
    )
    async def me(self, request: UserRequest) -> User:
        """The account the bearer token belongs to."""
        return to_user(request.user)
