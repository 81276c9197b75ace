/**
 * Google's OpenID Connect issuer; its metadata is at `/.well-known/openid-configuration`.
 * @see https://developers.google.com/identity/openid-connect/reference#discovery-document
 */
export const GOOGLE_ISSUER = 'https://accounts.google.com';
/** Authorization endpoint (as discovered). @see https://developers.google.com/identity/protocols/oauth2/web-server#creatingclient */
export const GOOGLE_AUTHORIZATION_URL = 'https://accounts.google.com/o/oauth2/v2/auth';
/** Token endpoint: code, refresh token and JWT bearer (service account) grants. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
/** Revocation endpoint (`POST`, `token=` form). @see https://developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke */
export const GOOGLE_REVOCATION_URL = 'https://oauth2.googleapis.com/revoke';
/** The keys ID tokens are signed with (JWKS). */
export const GOOGLE_JWKS_URL = 'https://www.googleapis.com/oauth2/v3/certs';

/** `www.googleapis.com`: the base of `session.fetch('google', '/oauth2/v3/userinfo')` and of Calendar and Drive. */
export const GOOGLE_API_BASE_URL = 'https://www.googleapis.com';
/** Gmail API base (paths start `/gmail/v1/…`). @see https://developers.google.com/workspace/gmail/api/reference/rest */
export const GOOGLE_GMAIL_API_BASE_URL = 'https://gmail.googleapis.com';
/** Calendar API base. @see https://developers.google.com/workspace/calendar/api/v3/reference */
export const GOOGLE_CALENDAR_API_BASE_URL = 'https://www.googleapis.com/calendar/v3';
/** Drive API base. @see https://developers.google.com/workspace/drive/api/reference/rest/v3 */
export const GOOGLE_DRIVE_API_BASE_URL = 'https://www.googleapis.com/drive/v3';
/** Sheets API base. @see https://developers.google.com/workspace/sheets/api/reference/rest */
export const GOOGLE_SHEETS_API_BASE_URL = 'https://sheets.googleapis.com/v4';
/** Docs API base. @see https://developers.google.com/workspace/docs/api/reference/rest */
export const GOOGLE_DOCS_API_BASE_URL = 'https://docs.googleapis.com/v1';
