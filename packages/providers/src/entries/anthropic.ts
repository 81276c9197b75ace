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
  documentation: {
    urls: ['https://docs.anthropic.com/en/api/overview', 'https://platform.claude.com/docs/en/api/versioning'],
    checkedOn: '2026-12-01',
    notes: [
      'Every request needs `x-api-key`; requests and responses are JSON (`content-type: application/json`). Responses carry `request-id` and `anthropic-organization-id`.',
      '`anthropic-version: 2023-06-01` is sent: a version the versions page lists. The page also lists the newer `2026-10-21`, which changes Messages API inputs (e.g. removes `temperature`, `top_p`, `top_k`); pin it in a copy of this entry after migrating. Beta features add an `anthropic-beta` header per call.',
      'The Anthropic pages checked in this pass do not give the rate-limit header names, so no `rateLimitHeaders` are declared.',
      'Request size limit: 32 MB on standard endpoints (Messages, Token Counting), larger on Batch and Files.',
      'No identity: API keys have no documented "who am I" endpoint.',
    ],
  },
});
