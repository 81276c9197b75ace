import { apiKey } from '@authmanager/core';

/**
 * OpenAI API: an API key (project or legacy user key) sent as `Authorization: Bearer`; API at
 * api.openai.com/v1.
 * App credentials: `OPENAI_API_KEY` (used for subjects with no key of their own).
 * @see https://developers.openai.com/api/reference/overview
 */
export const openai = apiKey({
  id: 'openai',
  displayName: 'OpenAI',
  baseUrl: 'https://api.openai.com/v1',
  placement: 'header',
  name: 'Authorization',
  format: 'Bearer {token}',
  rateLimitHeaders: { limit: 'x-ratelimit-limit-requests', remaining: 'x-ratelimit-remaining-requests' },
  documentation: {
    urls: [
      'https://developers.openai.com/api/reference/overview',
      'https://community.openai.com/t/how-to-get-rate-limit-reset-time-for-response-api/1268905',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'The API also takes short-lived access tokens from workload identity federation as the same Bearer credential; Administration endpoints need an Admin API key.',
      'VOCAB: a member of several organizations, or a legacy user key reaching a project, selects them with `OpenAI-Organization` and `OpenAI-Project` headers; header values can name app-credential fields (`{field}`), but `apiKey()` declares no such optional fields and an unset one fails the call, so they are not set.',
      'VOCAB: `x-ratelimit-reset-requests` (and `-tokens`) hold a duration such as `12ms` or `6m0s`; `resetUnit` has no duration form, so only limit and remaining are declared. Token budgets have their own `x-ratelimit-*-tokens` headers.',
      'Revoking a key takes effect within seconds; most other changes to a key\'s authentication propagate within 15 minutes.',
      'No identity: API keys have no documented "who am I" endpoint.',
    ],
  },
});
