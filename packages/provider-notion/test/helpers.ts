import { AuthManager, envFrom, type AuthManagerOptions, type EnvSource, type ProviderRegistration } from '@authmanager/core';
import { notion } from '../src/index.js';
import type { NotionEmulator } from '../../testing/src/emulators/notion.js';

/** The redirect URI registered with the emulator in every test. Nothing listens there: tests read the 302. */
export const REDIRECT_URI = 'http://127.0.0.1:9/notion/callback';

type NotionInput = Parameters<typeof notion>[0];

/** A manager with one Notion provider pointed at the emulator, reading env keys only from `env`. */
export function managerFor(
  emu: NotionEmulator,
  input: NotionInput = {},
  options: Omit<AuthManagerOptions<readonly ProviderRegistration[]>, 'providers'> & { env?: EnvSource } = {},
) {
  return new AuthManager({
    providers: [notion({ ...emu.endpoints, clientId: emu.clientId, clientSecret: emu.clientSecret, redirectUri: REDIRECT_URI, ...input })],
    env: envFrom({}),
    ...options,
  });
}

/** Plays the user's browser at the authorize endpoint: returns the callback URL it redirects to. */
export async function approve(url: URL): Promise<string> {
  const res = await fetch(url, { redirect: 'manual' });
  const location = res.headers.get('location');
  const text = await res.text();
  if (res.status !== 302 || location === null) throw new Error(`authorize answered HTTP ${res.status}: ${text}`);
  return location;
}

/** Decodes an HTTP Basic `authorization` header into `id:secret`. */
export function basicCredentials(header: string | undefined): string | undefined {
  const m = /^Basic (\S+)$/.exec(header ?? '');
  return m?.[1] ? Buffer.from(m[1], 'base64').toString('utf8') : undefined;
}
