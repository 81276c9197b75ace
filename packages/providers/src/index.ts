// The whole catalogue, for tools that list it (docs, the demo, the CLI). Applications import one entry
// instead: `import { slack } from '@authmanager/providers/slack'` loads that entry and core, nothing else.
export { airtable } from './entries/airtable.js';
export { anthropic } from './entries/anthropic.js';
export { asana } from './entries/asana.js';
export { atlassian } from './entries/atlassian.js';
export { attio } from './entries/attio.js';
export { auth0 } from './entries/auth0.js';
export { bitbucket } from './entries/bitbucket.js';
export { box } from './entries/box.js';
export { calendly } from './entries/calendly.js';
export { discord } from './entries/discord.js';
export { docusign } from './entries/docusign.js';
export { dropbox } from './entries/dropbox.js';
export { figma } from './entries/figma.js';
export { gitlab } from './entries/gitlab.js';
export { gong } from './entries/gong.js';
export { hubspot } from './entries/hubspot.js';
export { intercom } from './entries/intercom.js';
export { keycloak } from './entries/keycloak.js';
export { linear } from './entries/linear.js';
export { linkedin } from './entries/linkedin.js';
export { mailchimp } from './entries/mailchimp.js';
export { microsoft } from './entries/microsoft.js';
export { monday } from './entries/monday.js';
export { okta } from './entries/okta.js';
export { openai } from './entries/openai.js';
export { pipedrive } from './entries/pipedrive.js';
export { quickbooks } from './entries/quickbooks.js';
export { servicenow } from './entries/servicenow.js';
export { shopify } from './entries/shopify.js';
export { slack } from './entries/slack.js';
export { spotify } from './entries/spotify.js';
export { strava } from './entries/strava.js';
export { stripe } from './entries/stripe.js';
export { twitch } from './entries/twitch.js';
export { typeform } from './entries/typeform.js';
export { x } from './entries/x.js';
export { xero } from './entries/xero.js';
export { zendesk } from './entries/zendesk.js';
export { zoho } from './entries/zoho.js';
export { zoom } from './entries/zoom.js';

import { airtable } from './entries/airtable.js';
import { anthropic } from './entries/anthropic.js';
import { asana } from './entries/asana.js';
import { atlassian } from './entries/atlassian.js';
import { attio } from './entries/attio.js';
import { auth0 } from './entries/auth0.js';
import { bitbucket } from './entries/bitbucket.js';
import { box } from './entries/box.js';
import { calendly } from './entries/calendly.js';
import { discord } from './entries/discord.js';
import { docusign } from './entries/docusign.js';
import { dropbox } from './entries/dropbox.js';
import { figma } from './entries/figma.js';
import { gitlab } from './entries/gitlab.js';
import { gong } from './entries/gong.js';
import { hubspot } from './entries/hubspot.js';
import { intercom } from './entries/intercom.js';
import { keycloak } from './entries/keycloak.js';
import { linear } from './entries/linear.js';
import { linkedin } from './entries/linkedin.js';
import { mailchimp } from './entries/mailchimp.js';
import { microsoft } from './entries/microsoft.js';
import { monday } from './entries/monday.js';
import { okta } from './entries/okta.js';
import { openai } from './entries/openai.js';
import { pipedrive } from './entries/pipedrive.js';
import { quickbooks } from './entries/quickbooks.js';
import { servicenow } from './entries/servicenow.js';
import { shopify } from './entries/shopify.js';
import { slack } from './entries/slack.js';
import { spotify } from './entries/spotify.js';
import { strava } from './entries/strava.js';
import { stripe } from './entries/stripe.js';
import { twitch } from './entries/twitch.js';
import { typeform } from './entries/typeform.js';
import { x } from './entries/x.js';
import { xero } from './entries/xero.js';
import { zendesk } from './entries/zendesk.js';
import { zoho } from './entries/zoho.js';
import { zoom } from './entries/zoom.js';

/** Every catalogue entry's factory, by id order. Each factory's `.definition` is the data. */
export const catalogue = [
  airtable,
  anthropic,
  asana,
  atlassian,
  attio,
  auth0,
  bitbucket,
  box,
  calendly,
  discord,
  docusign,
  dropbox,
  figma,
  gitlab,
  gong,
  hubspot,
  intercom,
  keycloak,
  linear,
  linkedin,
  mailchimp,
  microsoft,
  monday,
  okta,
  openai,
  pipedrive,
  quickbooks,
  servicenow,
  shopify,
  slack,
  spotify,
  strava,
  stripe,
  twitch,
  typeform,
  x,
  xero,
  zendesk,
  zoho,
  zoom,
] as const;
