/**
 * Extras kept from Salesforce's token response (wire names).
 * @see https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm
 */
export interface SalesforceUserCredentialExtras {
  /** The org's instance (`https://<domain>.my.salesforce.com`): the API base. Replaced when a refresh returns another. */
  readonly instance_url: string;
  /** Identity URL `https://login.salesforce.com/id/<orgId>/<userId>` (absent for a static token). */
  readonly id?: string;
  /** When the token response was signed: epoch **milliseconds**, as a string (absent for a static token). */
  readonly issued_at?: string;
  /** Experience Cloud site URL, when the user logged in through one. */
  readonly sfdc_community_url?: string;
  /** Experience Cloud site id, when the user logged in through one. */
  readonly sfdc_community_id?: string;
}
