import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthManager, envFrom } from '@authmanager/core';
import { google, GOOGLE_ISSUER } from '../src/index.js';
import { startGoogleEmulator, type GoogleEmulator } from '@authmanager/testing';
import { expectRejection } from '@authmanager/testing/providers';
import { googleAuth } from './helpers.js';

// Defect: the endpoints came from the discovery document unchecked, so a document naming another
// host as token_endpoint (client secret, codes, refresh tokens) or jwks_uri (which ID tokens are
// trusted) was followed. Each URL must be on Google's endpoint origins, or on the issuer's own
// origin for another issuer.

let emu: GoogleEmulator;
let document: Record<string, unknown>;
beforeAll(async () => {
  emu = await startGoogleEmulator();
  document = await (await fetch(emu.endpoints.discovery)).json() as Record<string, unknown>;
});
afterAll(async () => { await emu.close(); });

describe('discovered endpoints, issuer = the emulator', () => {
  for (const [field, value] of [
    ['token_endpoint', 'https://attacker.example/token'],
    ['jwks_uri', 'https://attacker.example/certs'],
    ['authorization_endpoint', 'http://localhost:6379/auth'],
    ['userinfo_endpoint', 'https://evil.test@127.0.0.1/userinfo'],
    // Google's API origins are allowed for Google's issuer only.
    ['token_endpoint', 'https://oauth2.googleapis.com/token'],
  ] as const) {
    it(`refuses a discovery document whose ${field} is ${value}: PROVIDER_UNAVAILABLE`, async () => {
      const auth = googleAuth(emu);
      emu.failNext('discovery', { status: 200, body: { ...document, [field]: value } });
      const err = await expectRejection(auth.google.oauth2.authorize({ subject: 'user-1' }), 'PROVIDER_UNAVAILABLE');
      expect(err.message).toContain(field);
    });
  }

  it('accepts the emulator\'s own document (every endpoint on the issuer\'s origin)', async () => {
    const { url } = await googleAuth(emu).google.oauth2.authorize({ subject: 'user-1' });
    expect(url.origin).toBe(new URL(emu.appCredentials.issuer).origin);
  });
});

describe('discovered endpoints, issuer = https://accounts.google.com', () => {
  // Google cannot be reached from the tests: this fetch plays accounts.google.com's discovery
  // endpoint (the fault injected is a document altered in transit) and refuses everything else.
  const googleDocument = {
    issuer: GOOGLE_ISSUER,
    authorization_endpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
    device_authorization_endpoint: 'https://oauth2.googleapis.com/device/code',
    token_endpoint: 'https://oauth2.googleapis.com/token',
    userinfo_endpoint: 'https://openidconnect.googleapis.com/v1/userinfo',
    revocation_endpoint: 'https://oauth2.googleapis.com/revoke',
    jwks_uri: 'https://www.googleapis.com/oauth2/v3/certs',
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    code_challenge_methods_supported: ['plain', 'S256'],
  };
  const managerServing = (doc: Record<string, unknown>) => new AuthManager({
    providers: [google({ clientId: 'cid.apps.googleusercontent.com', clientSecret: 'secret', redirectUri: 'https://app.example/cb' })],
    env: envFrom({}),
    fetch: async (input) => {
      const url = input instanceof Request ? input.url : String(input);
      if (url !== `${GOOGLE_ISSUER}/.well-known/openid-configuration`) throw new TypeError('fetch failed');
      return Response.json(doc);
    },
  });

  it('accepts Google\'s published endpoints (accounts.google.com, *.googleapis.com)', async () => {
    const { url } = await managerServing(googleDocument).google.oauth2.authorize({ subject: 'user-1' });
    expect(`${url.origin}${url.pathname}`).toBe('https://accounts.google.com/o/oauth2/v2/auth');
  });

  for (const token of ['https://oauth2.googleapis.com.evil.test/token', 'https://attacker.example/token', 'http://oauth2.googleapis.com/token']) {
    it(`refuses token_endpoint ${token}`, async () => {
      const err = await expectRejection(managerServing({ ...googleDocument, token_endpoint: token }).google.oauth2.authorize({ subject: 'user-1' }), 'PROVIDER_UNAVAILABLE');
    });
  }
});
