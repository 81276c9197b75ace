import { expect } from '@jest/globals';
import { AuthManager, envFrom, type AppCredentialsInput, type EnvSource } from '@authmanager/core';
import { google } from '../src/index.js';
import type { GoogleEmulator } from '../../testing/src/emulators/google.js';

type GoogleInput = AppCredentialsInput<ReturnType<typeof google>['definition']['appCredentials']>;

/** A manager with only the Google provider pointed at `emulator`; no process env leaks in. */
export function googleAuth(emulator: GoogleEmulator, overrides: GoogleInput = {}, env: EnvSource = envFrom({})) {
  return new AuthManager({ providers: [google({ ...emulator.appCredentials, ...overrides })], env });
}

export type GoogleAuth = ReturnType<typeof googleAuth>;

/** The user's browser at Google: the emulator auto-approves and redirects; returns the callback URL. */
export async function browse(url: URL | string): Promise<string> {
  const res = await fetch(url, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return res.headers.get('location')!;
}

/** authorize → browser → complete (exchange + store). */
export async function connect(auth: GoogleAuth, subject: string, options: { params?: Record<string, string>; scopes?: string[] } = {}) {
  const { url } = await auth.google.oauth2.authorize({ subject, ...options });
  return auth.google.oauth2.complete({ callbackUrl: await browse(url) });
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; error?: string; status?: number }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

export const GMAIL_READONLY = 'https://www.googleapis.com/auth/gmail.readonly';
export const DRIVE_READONLY = 'https://www.googleapis.com/auth/drive.readonly';
export const USERINFO_EMAIL = 'https://www.googleapis.com/auth/userinfo.email';
