import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Credentials } from '@authmanager/core';
import { startGithubEmulator, type GithubEmulator, type GithubEmulatorRequest } from '@authmanager/testing';
import type { GithubExtras } from '../src/index.js';
import { githubAuth } from './helpers.js';

// OAuth App: authorize → approve → exchange → store → session → API call → revoke, one pass,
// then one assertion per `it` on what went over the wire.
describe('GitHub OAuth App: connect, use, revoke', () => {
  let gh: GithubEmulator;
  let authorizationUrl: URL;
  let callbackUrl: URL;
  let tokenRequest: GithubEmulatorRequest;
  let credentials: Credentials<GithubExtras>;
  let subject: string;
  let userStatus: number;
  let userBody: { login?: string; id?: number };
  let userRequest: GithubEmulatorRequest;
  let revokeResult: boolean;
  let revokeRequest: GithubEmulatorRequest;
  let liveAfterRevoke: boolean;
  let storedAfterRevoke: unknown;

  beforeAll(async () => {
    gh = await startGithubEmulator({ mode: 'oauth-app' });
    const auth = githubAuth(gh);

    // --- docs snippet: flow (docs/providers/github.md) ---
    const { url } = await auth.github.oauth2.authorize({ subject: 'user-1', scopes: ['repo', 'read:user'] });
    // … the user approves at GitHub and comes back to the redirect URI …
    const callback = await gh.approve(url);
    const result = await auth.github.oauth2.exchange({ callbackUrl: callback });
    await auth.storeCredentials('github', result.subject, result.credentials);

    await using session = await auth.session('user-1');
    const res = await session.fetch('github', '/user');
    // --- end snippet ---

    authorizationUrl = url;
    callbackUrl = new URL(callback);
    tokenRequest = gh.requests('token').at(-1)!;
    credentials = result.credentials;
    subject = result.subject;
    userStatus = res.status;
    userBody = await res.json() as typeof userBody;
    userRequest = gh.requests('identity').at(-1)!;

    revokeResult = await auth.github.oauth2.revoke({ subject: 'user-1' });
    revokeRequest = gh.requests('revocation').at(-1)!;
    liveAfterRevoke = gh.isTokenActive(credentials.accessToken);
    storedAfterRevoke = await auth.loadCredentials('github', 'user-1');
  });
  afterAll(() => gh.close());

  describe('authorization request', () => {
    it('goes to the authorization endpoint with client_id, redirect_uri and state', () => {
      expect(`${authorizationUrl.origin}${authorizationUrl.pathname}`).toBe(gh.appCredentials.authorizationUrl);
      expect(authorizationUrl.searchParams.get('client_id')).toBe(gh.clientId);
      expect(authorizationUrl.searchParams.get('redirect_uri')).toBe(gh.redirectUri);
      expect(authorizationUrl.searchParams.get('state')).toBe(callbackUrl.searchParams.get('state'));
    });
    it('joins scopes with a space, as the docs specify', () => {
      expect(authorizationUrl.searchParams.get('scope')).toBe('repo read:user');
    });
    it('carries a PKCE S256 challenge', () => {
      expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
      expect(authorizationUrl.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });
  });

  describe('token request (code exchange)', () => {
    const form = () => new URLSearchParams(tokenRequest.body);
    it('is a form-encoded POST to the token endpoint', () => {
      expect(tokenRequest.method).toBe('POST');
      expect(`${gh.origin}${tokenRequest.path}`).toBe(gh.appCredentials.tokenUrl);
      expect(tokenRequest.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    });
    it('asks for JSON (GitHub answers form-encoded otherwise)', () => {
      expect(tokenRequest.headers.accept).toBe('application/json');
    });
    it('authenticates the client in the body, not with Basic', () => {
      expect(form().get('client_id')).toBe(gh.clientId);
      expect(form().get('client_secret')).toBe(gh.clientSecret);
      expect(tokenRequest.headers.authorization).toBeUndefined();
    });
    it('sends the code, the same redirect_uri and the PKCE verifier of the challenge', () => {
      expect(form().get('code')).toBe(callbackUrl.searchParams.get('code'));
      expect(form().get('redirect_uri')).toBe(gh.redirectUri);
      const verifier = form().get('code_verifier') ?? '';
      expect(createHash('sha256').update(verifier).digest('base64url')).toBe(authorizationUrl.searchParams.get('code_challenge'));
    });
  });

  describe('credentials', () => {
    it('belong to the subject given to authorize', () => {
      expect(subject).toBe('user-1');
    });
    it('hold an OAuth App token that never expires and has no refresh token', () => {
      expect(credentials.accessToken).toMatch(/^gho_/);
      expect(credentials.expiresAt).toBeUndefined();
      expect(credentials.refreshToken).toBeUndefined();
    });
    it('split the comma-separated granted scope', () => {
      expect(credentials.scopes).toEqual(['repo', 'read:user']);
    });
    it('record who authorized (GET /user after the exchange)', () => {
      expect(credentials.extras).toMatchObject({ account_id: String(gh.users[0]!.id), account_label: gh.users[0]!.login });
    });
  });

  describe('API call through the session', () => {
    it('reaches GET /user on the API host', () => {
      expect(userStatus).toBe(200);
      expect(userBody.login).toBe(gh.users[0]!.login);
      expect(`${gh.origin}${userRequest.path}`).toBe(`${gh.appCredentials.apiUrl}/user`);
    });
    it('sends the bearer token and the documented headers', () => {
      expect(userRequest.headers.authorization).toBe(`Bearer ${credentials.accessToken}`);
      expect(userRequest.headers.accept).toBe('application/vnd.github+json');
      expect(userRequest.headers['x-github-api-version']).toBe('2022-11-28');
      expect(userRequest.headers['user-agent']).toBeTruthy();
    });
  });

  describe('revocation', () => {
    it('is a DELETE of the grant on the API host', () => {
      expect(revokeRequest.method).toBe('DELETE');
      expect(`${gh.origin}${revokeRequest.path}`).toBe(`${gh.appCredentials.apiUrl}/applications/${gh.clientId}/grant`);
    });
    it('authenticates with Basic client_id:client_secret', () => {
      const basic = String(revokeRequest.headers.authorization).replace(/^Basic /, '');
      expect(Buffer.from(basic, 'base64').toString()).toBe(`${gh.clientId}:${gh.clientSecret}`);
    });
    it("sends the REST API's documented headers", () => {
      expect(revokeRequest.headers.accept).toBe('application/vnd.github+json');
      expect(revokeRequest.headers['x-github-api-version']).toBe('2022-11-28');
      expect(revokeRequest.headers['user-agent']).toBeTruthy();
    });
    it('sends the access token in a JSON body', () => {
      expect(revokeRequest.headers['content-type']).toBe('application/json');
      expect(JSON.parse(revokeRequest.body)).toEqual({ access_token: credentials.accessToken });
    });
    it('kills the token at GitHub and deletes the stored credential', () => {
      expect(revokeResult).toBe(true);
      expect(liveAfterRevoke).toBe(false);
      expect(storedAfterRevoke).toBeUndefined();
    });
  });
});
