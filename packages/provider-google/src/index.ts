export { google, type GoogleAppCredentials, type GoogleExtras, type GoogleIdTokenClaims } from './google.js';
export {
  GOOGLE_API_BASE_URL, GOOGLE_AUTHORIZATION_URL, GOOGLE_CALENDAR_API_BASE_URL, GOOGLE_DOCS_API_BASE_URL,
  GOOGLE_DRIVE_API_BASE_URL, GOOGLE_GMAIL_API_BASE_URL, GOOGLE_ISSUER, GOOGLE_JWKS_URL, GOOGLE_REVOCATION_URL,
  GOOGLE_SHEETS_API_BASE_URL, GOOGLE_TOKEN_URL,
} from './endpoints.js';
export {
  GoogleServiceAccountFlow,
  type GoogleServiceAccountExtras, type GoogleServiceAccountKey, type ServiceAccountAppCredentials, type ServiceAccountTokenRequest,
} from './serviceAccount.js';
