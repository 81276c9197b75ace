import { apiKey } from '@authmanager/core';

/**
 * Stripe: a secret (`sk_live_…`, `sk_test_…`) or restricted API key, sent as a Bearer token; API at
 * api.stripe.com (paths under `/v1`).
 * App credentials: `STRIPE_API_KEY` (used for subjects with no key of their own).
 * @see https://docs.stripe.com/api/authentication
 */
export const stripe = apiKey({
  id: 'stripe',
  displayName: 'Stripe',
  baseUrl: 'https://api.stripe.com',
  placement: 'header',
  name: 'Authorization',
  format: 'Bearer {token}',
  identity: { endpoint: '/v1/account', id: 'id', label: 'email' },
  documentation: {
    urls: ['https://docs.stripe.com/api/authentication', 'https://docs.stripe.com/sdks/set-version'],
    checkedOn: '2026-12-01',
    notes: [
      'The docs\' primary form is HTTP Basic with the key as the username and no password; Bearer is the documented alternative and is used here (it needs no base64 step).',
      'All requests must use HTTPS; unauthenticated requests fail.',
      'No `Stripe-Version` header is set: without one a request uses the account\'s default API version. Pin a version (`2026-05-27.dahlia` style) per call or in a copy of this entry when responses must not change with the account default.',
      'Identity is `GET /v1/account` (the account the key belongs to); a restricted key without account read access gets no account.',
      'Connect platforms act on a connected account with a `Stripe-Account` header per call; it is not set here.',
    ],
  },
});
