import { AuthManagerError, ErrorCode } from '@authmanager/core';

/** `User-Agent` sent on the package's own API requests; GitHub rejects requests without one. */
export const USER_AGENT = '@authmanager/provider-github';

/**
 * The headers GitHub's REST API documents for every request (API calls, the `GET /user` identity
 * lookup, revocation, installation tokens). `{version}` is the `version` app credential, the
 * `X-GitHub-Api-Version` date (e.g. `2022-11-28`); core fills it in.
 * @see https://docs.github.com/en/rest/about-the-rest-api/api-versions
 */
export const API_HEADERS: Readonly<Record<string, string>> = {
  accept: 'application/vnd.github+json',
  'x-github-api-version': '{version}',
  'user-agent': USER_AGENT,
};

/**
 * An `AuthManagerError` for a GitHub REST error answer (`{ message, documentation_url }`): HTTP 5xx is
 * `PROVIDER_UNAVAILABLE`, anything else `rejection`. The message quotes GitHub's `message`, which
 * never echoes a token.
 */
export async function apiError(response: Response, provider: string, what: string, rejection: ErrorCode): Promise<AuthManagerError> {
  const body = await response.json().catch(() => undefined) as { message?: unknown } | undefined;
  const detail = typeof body?.message === 'string' ? ` (${body.message})` : '';
  const code = response.status >= 500 ? ErrorCode.PROVIDER_UNAVAILABLE : rejection;
  return new AuthManagerError(code, `${provider} ${what}: HTTP ${response.status}${detail}`, { provider, status: response.status });
}

/**
 * The JSON object a successful GitHub answer carries. A body that cannot be read is
 * `PROVIDER_UNAVAILABLE`; one that is not a JSON object (HTML from a proxy, a truncated body,
 * `null`) is `INVALID_TOKEN_RESPONSE`. Neither error quotes the body or keeps the parser's error
 * (whose message quotes the body's start) as its `cause`: the body may hold a token.
 * @param what - what was asked for, for the message (e.g. `installation token for installation 42`)
 * @throws AuthManagerError `PROVIDER_UNAVAILABLE` | `INVALID_TOKEN_RESPONSE`
 */
export async function jsonObjectBody(response: Response, provider: string, what: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await response.text();
  } catch (cause) {
    throw new AuthManagerError(ErrorCode.PROVIDER_UNAVAILABLE, `${provider} ${what}: the response body could not be read`, { provider, status: response.status, cause });
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AuthManagerError(ErrorCode.INVALID_TOKEN_RESPONSE, `${provider} ${what}: HTTP ${response.status} with a body that is not a JSON object`, { provider, status: response.status });
  }
  return body as Record<string, unknown>;
}
