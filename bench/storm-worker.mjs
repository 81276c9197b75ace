// One process of the bench's cross-process refresh storm (bench/redis.mjs, figure (h)). Unlike the
// tests' worker it stays up for several storms, as a server process does: each "go" line on stdin
// starts `callers` concurrent accessToken() calls on `subject` and prints one JSON line
// { tokens (SHA-256), errors, latenciesMs }; "exit" ends it. argv: issuer redirectUri redisUrl subject callers.
import { AuthManager } from '@authmanager/core';
import { RedisCredentialStore } from '@authmanager/store-redis';
import { sandbox, stormCallers } from '@authmanager/testing';
import { createInterface } from 'node:readline';

const [issuer, redirectUri, redisUrl, subject, callers] = process.argv.slice(2);
const store = new RedisCredentialStore({ redis: redisUrl });
const auth = new AuthManager({ providers: [sandbox({ issuer, redirectUri })], store });
// Discovery, the Redis connection and the subscriber connection lockReleased opens on first use.
await auth.provider('sandbox').oauth2.introspect('warm-up').catch(() => undefined);
await store.get({ kind: 'credentials', provider: 'sandbox', subject: 'warm-up' });
await store.lockReleased({ kind: 'credentials', provider: 'sandbox', subject: 'warm-up' }, 0);
process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === 'exit') break;
  if (line.trim() !== 'go') continue;
  process.stdout.write(`${JSON.stringify(await stormCallers(Number(callers), () => auth.withSession(subject, (s) => s.accessToken('sandbox'))))}\n`);
}
await auth.close();
process.exit(0);
