import type { AuthManager } from '@authmanager/core';
import { loadConfig, type LoadedConfig } from './config.js';
import { Output } from './Output.js';
import { userConfigDir } from './paths.js';

/** Where a run of the CLI reads and writes: streams, environment, working directory. */
export interface CliIo {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** Global options (`authmanager --config … --json --no-color <command>`). */
export interface GlobalOptions {
  readonly config?: string;
  readonly json?: boolean;
  readonly color?: boolean;
}

/** What every command gets: output, paths, and the configuration, loaded on first use. */
export class CommandContext {
  readonly io: CliIo;
  readonly out: Output;
  readonly configDir: string;
  readonly options: GlobalOptions;
  #loaded: LoadedConfig | undefined;

  constructor(io: CliIo, options: GlobalOptions) {
    this.io = io;
    this.options = options;
    this.out = new Output({ json: options.json === true, noColor: options.color === false, stdout: io.stdout, stderr: io.stderr, env: io.env });
    this.configDir = userConfigDir(io.env);
  }

  /**
   * Loads the configuration once.
   * @param sandboxIssuer - the built-in sandbox `connect` has just started, for the first-try configuration
   */
  async config(sandboxIssuer?: string): Promise<LoadedConfig> {
    this.#loaded ??= await loadConfig({
      cwd: this.io.cwd, configPath: this.options.config, configDir: this.configDir, env: this.io.env,
      ...(sandboxIssuer ? { sandboxIssuer } : {}),
    });
    return this.#loaded;
  }

  /** The manager of the configuration. */
  async auth(): Promise<AuthManager> {
    return (await this.config()).auth;
  }

  /** The loaded configuration, if any command loaded it. */
  get loaded(): LoadedConfig | undefined {
    return this.#loaded;
  }

  /** The subject: `--subject`, else `AUTHMANAGER_SUBJECT`, else `default`. */
  subject(given: string | undefined): string {
    return given ?? this.io.env.AUTHMANAGER_SUBJECT ?? 'default';
  }

  /** Closes the configuration's store and forgets it, so the next {@link CommandContext.config} loads it again. */
  async reload(): Promise<void> {
    await this.close();
    this.#loaded = undefined;
  }

  /** Closes the manager's store. */
  async close(): Promise<void> {
    await this.#loaded?.auth.close().catch(() => {});
  }
}
