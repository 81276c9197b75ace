import type { ClientContext, Credentials } from '@authmanager/core';
import type { Credentials as SdkCredentials, OAuth2Client } from 'google-auth-library';
import { GOOGLE_AUTHORIZATION_URL, GOOGLE_TOKEN_URL } from './endpoints.js';

/** The app credentials the SDK client reads. */
export interface GoogleClientAppCredentials {
  readonly clientId?: string | undefined;
  readonly issuer: string;
  readonly authorizationUrl?: string | undefined;
  readonly tokenUrl?: string | undefined;
  readonly revocationUrl: string;
  readonly jwksUrl: string;
  readonly quotaProjectId?: string | undefined;
}

/** Same margin as the manager's default refresh skew. */
const EAGER_REFRESH_MS = 60_000;

/**
 * google-auth-library's `OAuth2Client`, authenticated with the session's credentials. The SDK never
 * sees the refresh token or the client secret: when its token is about to expire, or an API answers
 * 401/403, its `refreshHandler` asks the session, which refreshes once (single-flight, stored) and
 * hands the new access token back. Pass it as `auth` to `googleapis` clients.
 *
 * @see https://github.com/googleapis/google-auth-library-nodejs#oauth2
 * @throws Error when the optional peer dependency `google-auth-library` is not installed
 */
export async function googleClient<X extends object>(ctx: ClientContext<GoogleClientAppCredentials, X>): Promise<OAuth2Client> {
  const sdk = await import('google-auth-library');
  const OAuth2 = sdk.OAuth2Client ?? (sdk as unknown as { default: typeof sdk }).default.OAuth2Client;
  const { app } = ctx;
  const client = new OAuth2({
    ...(app.clientId ? { clientId: app.clientId } : {}),
    eagerRefreshThresholdMillis: EAGER_REFRESH_MS,
    forceRefreshOnFailure: true,
    issuers: [app.issuer],
    endpoints: {
      oauth2AuthBaseUrl: app.authorizationUrl ?? GOOGLE_AUTHORIZATION_URL,
      oauth2TokenUrl: app.tokenUrl ?? GOOGLE_TOKEN_URL,
      oauth2RevokeUrl: app.revocationUrl,
      oauth2FederatedSignonJwkCertsUrl: app.jwksUrl,
    },
    ...(app.quotaProjectId ? { quotaProjectId: app.quotaProjectId } : {}),
  });
  client.setCredentials(toSdkCredentials(await ctx.credentials()));
  client.refreshHandler = async () => {
    const stale = client.credentials.access_token;
    let fresh = await ctx.credentials(); // refreshed by the session when within its skew
    if (fresh.accessToken === stale) fresh = await ctx.refresh(); // the SDK saw a 401/403 or thinks it expired
    return { access_token: fresh.accessToken, expiry_date: fresh.expiresAtMs ?? Number.MAX_SAFE_INTEGER };
  };
  return client;
}

function toSdkCredentials(credentials: Credentials<object>): SdkCredentials {
  return {
    access_token: credentials.accessToken,
    token_type: 'Bearer',
    expiry_date: credentials.expiresAtMs ?? null,
    ...(credentials.scopes ? { scope: credentials.scopes.join(' ') } : {}),
  };
}
