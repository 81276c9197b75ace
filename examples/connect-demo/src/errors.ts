import { AuthManagerError, ErrorCode } from '@authmanager/core';

/** What the user was doing when the error happened; picks the wording. */
export type DemoAction = 'connect' | 'callback' | 'call' | 'refresh' | 'disconnect' | 'show';

/**
 * The provider's RFC 6749 `error` code (`access_denied`), if it sent one that looks like a code:
 * one word of letters, digits and `_ . : -`, at most 64 characters. Safe to show and to log, unlike
 * its free-text `error_description` (anyone can put text in a callback URL; a "code" with spaces
 * in it is text too).
 */
export function oauthErrorCode(err: AuthManagerError): string | undefined {
  return err.error !== undefined && /^[A-Za-z0-9_.:-]{1,64}$/.test(err.error) ? err.error : undefined;
}

/**
 * One readable sentence for an error, built from its stable `code` (never from its message, and
 * never with a token or secret in it). The provider's RFC 6749 `error` code is quoted when it sent
 * one; its free-text `error_description` is not, since anyone can put text in a callback URL.
 *
 * @param err - anything thrown by the AuthManager or a store
 * @param providerName - the provider's display name, e.g. `Notion`
 * @param action - what was being done
 * @returns e.g. `"You declined access at Sandbox (access_denied). Nothing was connected."`
 */
export function describeError(err: unknown, providerName: string, action: DemoAction): string {
  if (!AuthManagerError.is(err)) {
    return `Something went wrong while talking to ${providerName}. The server log has the details.`;
  }
  const rfc = oauthErrorCode(err);
  const said = rfc ? ` (${rfc})` : '';
  switch (err.code) {
    case ErrorCode.INVALID_STATE:
      return `This sign-in response from ${providerName} has expired or was already used, so it was ignored. Start again with Connect.`;
    case ErrorCode.AUTHORIZATION_DENIED:
      return rfc === undefined || rfc === 'access_denied'
        ? `You declined access at ${providerName}${said}. Nothing was connected.`
        : `${providerName} did not authorize the connection${said}. Nothing was connected.`;
    case ErrorCode.TOKEN_EXCHANGE_FAILED:
      return `${providerName} refused to issue a token for this sign-in${said}. Nothing was connected; start again with Connect.`;
    case ErrorCode.INVALID_TOKEN_RESPONSE:
      return `${providerName} sent a token response that failed validation, so it was not used. Try again.`;
    case ErrorCode.REAUTHORIZATION_REQUIRED:
      return `${providerName} no longer accepts this connection (it was revoked or has expired). Connect again to continue.`;
    case ErrorCode.TOKEN_REFRESH_FAILED:
      return `${providerName} refused to refresh the access token${said}. Try again, or reconnect.`;
    case ErrorCode.PROVIDER_UNAVAILABLE:
      return `${providerName} could not be reached or had a server error. Try again in a moment.`;
    case ErrorCode.CREDENTIALS_NOT_FOUND:
      return `No ${providerName} account is connected for this subject.`;
    case ErrorCode.REVOCATION_FAILED:
      return `${providerName} refused to revoke the token${said}, so the connection was kept. Try again.`;
    case ErrorCode.ACCOUNT_MISMATCH:
      return `This subject is already connected to a different ${providerName} account. Disconnect it first.`;
    case ErrorCode.CONFIGURATION:
      return `${providerName} is not configured for this: an app credential (client ID, secret or redirect URI) is missing or invalid.`;
    case ErrorCode.UNSUPPORTED_FLOW:
      return `${providerName} does not support this.`;
    case ErrorCode.PROVIDER_NOT_REGISTERED:
      return `There is no provider called ${providerName} in this demo.`;
    case ErrorCode.STORE_UNAVAILABLE:
    case ErrorCode.STORE_CONFLICT:
    case ErrorCode.LOCK_TIMEOUT:
      return `The credential store is unavailable or busy${action === 'callback' ? ', so the connection could not be saved' : ''}. Try again.`;
    case ErrorCode.INVALID_STORED_CREDENTIALS:
      return `The stored ${providerName} credential could not be read. Disconnect and connect again.`;
    case ErrorCode.DECRYPTION_FAILED:
      return `The stored ${providerName} credential failed decryption (tampered with, or encrypted under another key). Disconnect and connect again.`;
    case ErrorCode.KEY_MANAGEMENT_FAILED:
      return 'The key-management service refused or failed the request, so the credential could not be encrypted or decrypted. Try again.';
    default:
      return `${providerName}: the request failed (${err.code}).`;
  }
}
