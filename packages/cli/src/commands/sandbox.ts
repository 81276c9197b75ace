import { loadSandbox } from '../quiet.js';
import type { CommandContext } from '../Context.js';
import { DEFAULT_CALLBACK_PORT } from '../loopback.js';

/**
 * `authmanager sandbox`: runs the sandbox authorization server in the foreground, so tokens of
 * the sandbox provider can be refreshed after `connect` has finished. Stops on Ctrl-C.
 */
export async function sandboxServer(ctx: CommandContext, options: { port: number; redirectUri?: string[] }): Promise<void> {
  const redirectUris = [`http://127.0.0.1:${DEFAULT_CALLBACK_PORT}/callback`, ...(options.redirectUri ?? [])];
  const server = await (await loadSandbox()).startSandboxProvider({ port: options.port, redirectUris, interactive: true });
  ctx.out.result({ issuer: server.issuer, redirectUris, clientId: server.clientId }, () => [
    `Sandbox authorization server at ${server.issuer} (redirect URIs: ${redirectUris.join(', ')}).`,
    `In another terminal: export SANDBOX_ISSUER=${server.issuer}; authmanager connect sandbox`,
    'Ctrl-C stops it.',
  ].join('\n'));
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
}
