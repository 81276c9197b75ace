import { AuthManager, envFrom, type AppCredentialsInput, type EnvSource } from '@authmanager/core';
import type { GoogleEmulator } from '@authmanager/testing';
import { approve } from '@authmanager/testing/providers';
import { google } from '../src/index.js';

// What is Google's own: the factory takes the emulator's overrides (two listeners, a key file), not a
// generic emulator's `appCredentials`, so `managerFor`/`connect` of '@authmanager/testing/providers' do not apply.

type GoogleInput = AppCredentialsInput<ReturnType<typeof google>['definition']['appCredentials']>;

/** A manager with only the Google provider pointed at `emulator`; no process env leaks in. */
export function googleAuth(emulator: GoogleEmulator, overrides: GoogleInput = {}, env: EnvSource = envFrom({})) {
  return new AuthManager({ providers: [google({ ...emulator.appCredentials, ...overrides })], env });
}

export type GoogleAuth = ReturnType<typeof googleAuth>;

/** authorize → the emulator approves (kit `approve`) → complete (exchange + store). */
export async function connect(auth: GoogleAuth, subject: string, options: { params?: Record<string, string>; scopes?: string[] } = {}) {
  const { url } = await auth.google.oauth2.authorize({ subject, ...options });
  return auth.google.oauth2.complete({ callbackUrl: await approve(url) });
}

export const GMAIL_READONLY = 'https://www.googleapis.com/auth/gmail.readonly';
export const DRIVE_READONLY = 'https://www.googleapis.com/auth/drive.readonly';
export const USERINFO_EMAIL = 'https://www.googleapis.com/auth/userinfo.email';
