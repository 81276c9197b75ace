import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CommandContext, type CliIo, type GlobalOptions } from './Context.js';
import { describeError } from './describeError.js';
import { CliError, ExitCode } from './ExitCode.js';
import { connect, type ConnectOptions } from './commands/connect.js';
import { list, redirectUrl, refresh, revoke } from './commands/connections.js';
import { doctor } from './commands/doctor.js';
import { sandboxServer } from './commands/sandbox.js';
import { keysRotate, migrate, type MigrateOptions } from './commands/stores.js';
import { envPull, token, type EnvPullOptions } from './commands/token.js';

/** The CLI's version (printed by `--version`). */
export const VERSION = '0.1.0';

function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return n;
  };
}

/** What a command's action does with its context, arguments and options. */
type Action = (ctx: CommandContext, ...args: never[]) => Promise<void>;

/**
 * The `authmanager` command and its subcommands, as commander definitions. The CLI reference
 * (docs/cli.md) is generated from these by {@link renderReference}.
 * @param run - called with each action, its arguments and the command, to run it
 */
export function createProgram(run: (action: Action, args: unknown[], command: Command) => Promise<void>): Command {
  const program = new Command('authmanager')
    .description('Connect accounts at OAuth providers from a terminal, and hand fresh tokens to scripts.')
    .version(VERSION, '-V, --version', 'print the version')
    .option('-c, --config <file>', 'config file (default: authmanager.config.{ts,mts,mjs,js,cjs} in this directory or the nearest parent)')
    .option('--json', 'print one JSON document on stdout (errors too); nothing but errors on stderr')
    .option('--no-color', 'no colours (also NO_COLOR=1; colours are off anyway when the output is not a terminal)')
    .showSuggestionAfterError(true)
    .exitOverride();
  const subject = (): Option => new Option('-s, --subject <subject>', 'whose credential (default: $AUTHMANAGER_SUBJECT, else "default")');
  const action = (fn: Action) => async (...args: unknown[]): Promise<void> => {
    const command = args[args.length - 1] as Command;
    await run(fn, args.slice(0, -2).concat([command.opts()]), command);
  };

  program.command('connect')
    .description('Connect an account: opens the browser (or prints the URL) and waits on a loopback redirect (RFC 8252 §7.3), then stores the credential.')
    .argument('<provider>', 'provider id, e.g. github')
    .addOption(subject())
    .option('--scopes <scopes...>', 'scopes to request (default: the provider\'s)')
    .option('--device', 'use the device authorization grant (RFC 8628) where the provider has a device endpoint')
    .option('-p, --port <port>', 'loopback port to listen on (0 = ephemeral; default: the registered redirect URI\'s)', integer(0, 65535))
    .option('--no-browser', 'only print the URL, do not open a browser')
    .option('--timeout <seconds>', 'give up after this long', integer(1, 86400), 300)
    .action(action(connect as Action));

  program.command('redirect-url')
    .description('Print the exact redirect URI to register at the provider for the CLI.')
    .argument('<provider>', 'provider id')
    .option('-p, --port <port>', 'the port connect will use (0 = ephemeral)', integer(0, 65535))
    .action(action(redirectUrl as Action));

  program.command('token')
    .description('Print an access token valid now (refreshed when needed), for scripts: curl -H "Authorization: Bearer $(authmanager token github)" …')
    .argument('<provider>', 'provider id')
    .addOption(subject())
    .option('--show', 'print it even when stdout is a terminal')
    .action(action(token as Action));

  program.command('list').alias('status')
    .description('List connections: provider, subject, account, status, expires in, scopes. No secrets.')
    .addOption(subject().makeOptionMandatory(false).default(undefined, 'every subject in the store'))
    .action(action(list as Action));

  program.command('refresh')
    .description('Refresh the access token now (one refresh across processes); prints no token.')
    .argument('<provider>', 'provider id')
    .addOption(subject())
    .action(action(refresh as Action));

  program.command('revoke')
    .description('Revoke the grant at the provider (where it can) and delete the stored credential.')
    .argument('<provider>', 'provider id')
    .addOption(subject())
    .action(action(revoke as Action));

  const env = program.command('env').description('Environment files.');
  env.command('pull')
    .description('Write fresh access tokens as PROVIDER_TOKEN=… lines into a dotenv file (mode 0600), keeping its other lines.')
    .option('-o, --out <file>', 'the file, or - for stdout', '.env')
    .addOption(subject())
    .option('--provider <ids...>', 'only these providers (default: every connected one)')
    .option('--show', 'with --out -, print even when stdout is a terminal')
    .action(action(envPull as Action));

  const keys = program.command('keys').description('Encryption keys of the store.');
  keys.command('rotate')
    .description('Re-encrypt every record under the current key, with a progress bar; run it again to resume. The local store gets a new local key first.')
    .action(action(keysRotate as Action));

  program.command('migrate')
    .description('Copy every credential record from one store to another, then verify each in the target; run it again to resume.')
    .requiredOption('--from <store>', 'local | config | sqlite:<file> | postgres://… | mysql://… | mariadb://… | redis://… | rediss://…')
    .requiredOption('--to <store>', 'same forms as --from')
    .option('--from-key <file>', 'the source is encrypted with this local key file')
    .option('--to-key <file>', 'encrypt the target with this local key file (created, mode 0600, when absent)')
    .action(action(migrate as Action));

  program.command('doctor')
    .description('Check the setup, one line per check: Node, config, app credentials and redirect URIs, store, encryption key.')
    .action(action(doctor as Action));

  program.command('sandbox')
    .description('Run the sandbox authorization server in the foreground (for sandbox tokens that outlive `connect`).')
    .option('-p, --port <port>', 'port', integer(0, 65535), 4555)
    .option('--redirect-uri <uris...>', 'more redirect URIs to register')
    .action(action(sandboxServer as Action));

  return program;
}

/**
 * Runs the CLI once.
 * @param argv - the arguments after the executable and script (`process.argv.slice(2)`)
 * @param io - streams, environment and working directory
 * @returns the exit code (see {@link ExitCode})
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let ctx: CommandContext | undefined;
  let providerArg: string | undefined;
  const program = createProgram(async (fn, args, command) => {
    const globals = command.optsWithGlobals<GlobalOptions>();
    ctx = new CommandContext(io, globals);
    providerArg = typeof args[0] === 'string' ? args[0] : undefined;
    await fn(ctx, ...(args as never[]));
  });
  const json = argv.includes('--json');
  program.configureOutput({
    writeOut: (s) => io.stdout.write(s),
    writeErr: (s) => { if (!json) io.stderr.write(s); },
    outputError: (s, write) => { if (!json) write(s); },
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ExitCode.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return ExitCode.OK;
      if (json) io.stdout.write(`${JSON.stringify({ ok: false, error: { code: 'USAGE', message: err.message.replace(/^error: /, ''), exitCode: ExitCode.USAGE } }, null, 2)}\n`);
      return ExitCode.USAGE;
    }
    const described = describeError(err, { provider: providerArg, zeroConfig: ctx?.loaded?.zeroConfig ?? false });
    if (json) {
      io.stdout.write(`${JSON.stringify({ ok: false, error: { code: described.code, message: described.message, ...(described.hint ? { hint: described.hint } : {}), exitCode: described.exitCode } }, null, 2)}\n`);
    } else {
      const c = ctx?.out.errColor;
      io.stderr.write(`${c ? c.red('error:') : 'error:'} ${described.message}${described.hint ? ` — ${described.hint}` : ''}\n`);
    }
    return described.exitCode;
  } finally {
    await ctx?.close();
  }
}

export { CliError };
