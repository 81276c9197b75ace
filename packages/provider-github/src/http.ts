import { AuthManagerError, ErrorCode } from '@authmanager/core';

/** `User-Agent` sent on the package's own API requests; GitHub rejects requests without one. */
export const USER_AGENT = '@authmanager/provider-github';

/**
 * The headers GitHub's REST API documents for every request.
 * @param app - `version`: the `X-GitHub-Api-Version` date, e.g. `2022-11-28`
 * @see https://docs.github.com/en/rest/about-the-rest-api/api-versions
 */
export function apiHeaders(app: { readonly version: string }): Record<string, string> {
  return {
    accept: 'application/vnd.github+json',
    'x-github-api-version': app.version,
    'user-agent': USER_AGENT,
  };
}

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
