import { apiKey } from '@authmanager/core';

/**
 * Anthropic API (Claude): an API key in the `x-api-key` header with the `anthropic-version` header
 * on every call; API at api.anthropic.com (paths under `/v1`).
 * App credentials: `ANTHROPIC_API_KEY` (used for subjects with no key of their own).
 * @see https://docs.anthropic.com/en/api/overview
 */
export const anthropic = apiKey({
  id: 'anthropic',
  displayName: 'Anthropic',
  baseUrl: 'https://api.anthropic.com',
  placement: 'header',
  name: 'x-api-key',
  headers: { 'anthropic-version': '2023-06-01' },
  rateLimitHeaders: { limit: 'anthropic-ratelimit-requests-limit', remaining: 'anthropic-ratelimit-requests-remaining' },
  documentation: {
    urls: ['https://docs.anthropic.com/en/api/overview'],
    checkedOn: '2026-12-01',
    notes: [
      'Every request needs `x-api-key`; requests and responses are JSON (`content-type: application/json`). Responses carry `request-id` and `anthropic-organization-id`.',
      '`anthropic-version: 2023-06-01` is the API version sent; it was not re-read on the versions page in this pass. Beta features add an `anthropic-beta` header per call.',
      'VOCAB: `anthropic-ratelimit-requests-reset` (and the token variants) is an RFC 3339 timestamp; `resetUnit` has no date form, so only limit and remaining are declared. The header names are as the rate-limits page gives them and were not re-read in this pass; 429 answers also carry `retry-after`.',
      'Request size limit: 32 MB on standard endpoints (Messages, Token Counting), larger on Batch and Files.',
      'No identity: API keys have no documented "who am I" endpoint.',
    ],
  },
});
