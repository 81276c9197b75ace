import { AuthManager, envFrom, type AuthManagerOptions, type ProviderRegistration } from '@authmanager/core';
import type { NotionEmulator } from '@authmanager/testing';
import { notion } from '../src/index.js';

// What is Notion's own: tests override app credentials (a wrong secret, a version), which
// `managerFor` of '@authmanager/testing/providers' does not take, and Notion compares Basic
// credentials as sent, where the kit's `basicCredentials` undoes form-encoding.

/** The redirect URI registered with the emulator in every test. Nothing listens there: tests read the 302. */
export const REDIRECT_URI = 'http://127.0.0.1:9/notion/callback';

/** A manager with only Notion pointed at `emu` (app credentials overridden by `input`); no process env leaks in. */
export function notionAuth(
  emu: NotionEmulator,
  input: Parameters<typeof notion>[0] = {},
  options: Omit<AuthManagerOptions<readonly ProviderRegistration[]>, 'providers'> = {},
) {
  return new AuthManager({ env: envFrom({}), ...options, providers: [notion({ ...emu.appCredentials, ...input })] });
}

/** An HTTP Basic `authorization` header's `id:secret` exactly as sent (RFC 7617, no form-decoding). */
export function basicCredentials(header: string | undefined): string | undefined {
  const m = /^Basic (\S+)$/.exec(header ?? '');
  return m?.[1] ? Buffer.from(m[1], 'base64').toString('utf8') : undefined;
}
