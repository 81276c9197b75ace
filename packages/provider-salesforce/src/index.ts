export {
  salesforce,
  SALESFORCE_DEFAULT_ACCESS_TOKEN_LIFETIME_SECONDS, SALESFORCE_DEFAULT_API_VERSION, SALESFORCE_DEFAULT_SCOPES,
  SALESFORCE_PRODUCTION_LOGIN_URL, SALESFORCE_SANDBOX_LOGIN_URL,
  type SalesforceAppCredentials,
} from './salesforce.js';
export type { SalesforceUserCredentialExtras } from './extras.js';
export { SALESFORCE_INSTANCE_ORIGIN_PATTERNS } from './instanceUrl.js';
