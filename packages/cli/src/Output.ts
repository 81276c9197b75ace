import { SingleBar } from 'cli-progress';
import Table from 'cli-table3';
import pc from 'picocolors';
import yoctoSpinner from 'yocto-spinner';

/** The colour functions the CLI uses (identity functions when colours are off). */
export type Colors = ReturnType<typeof pc.createColors>;

/** Where and how a command writes: results on stdout, everything for the person on stderr. */
export interface OutputOptions {
  /** Print results as one JSON document on stdout, and nothing on stderr but errors. */
  readonly json: boolean;
  /** `--no-color` given. */
  readonly noColor: boolean;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly env: NodeJS.ProcessEnv;
}

/** A running spinner: {@link Output.spinner}. */
export interface SpinnerHandle {
  /** Stops it with a success line. */
  succeed(text: string): void;
  /** Stops it with a failure line. */
  fail(text: string): void;
  /** Stops it and prints nothing. */
  stop(): void;
}

/** A running progress bar: {@link Output.progress}. */
export interface ProgressHandle {
  update(done: number, total?: number): void;
  stop(): void;
}

/**
 * Colours are on only for a terminal: `--no-color`, `NO_COLOR` (https://no-color.org) and
 * `TERM=dumb` turn them off, `FORCE_COLOR` (not `0`) on.
 */
export function colorsEnabled(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv, noColor: boolean): boolean {
  if (noColor || (env.NO_COLOR !== undefined && env.NO_COLOR !== '')) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/**
 * Everything a command prints goes through here, so `--json`, terminals and pipes behave the same
 * in every command: results on stdout (JSON with `--json`), progress and hints on stderr, spinners
 * and progress bars only on a terminal.
 */
export class Output {
  readonly json: boolean;
  /** Colours for stdout. */
  readonly color: Colors;
  /** Colours for stderr. */
  readonly errColor: Colors;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  /** Whether a person watches stderr (spinners and progress bars are drawn). */
  readonly interactive: boolean;
  readonly #env: NodeJS.ProcessEnv;

  constructor(options: OutputOptions) {
    this.json = options.json;
    this.stdout = options.stdout;
    this.stderr = options.stderr;
    this.#env = options.env;
    this.color = pc.createColors(colorsEnabled(options.stdout, options.env, options.noColor));
    this.errColor = pc.createColors(colorsEnabled(options.stderr, options.env, options.noColor));
    this.interactive = !options.json && options.stderr.isTTY === true;
  }

  /** Whether stdout is a terminal. */
  get stdoutIsTTY(): boolean {
    return this.stdout.isTTY === true;
  }

  /** Writes a command's result: `data` as JSON with `--json`, else `human()` as text. */
  result(data: unknown, human: () => string): void {
    if (this.json) this.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    else {
      const text = human();
      if (text !== '') this.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    }
  }

  /** A line for the person (stderr); nothing with `--json`. */
  info(line: string): void {
    if (!this.json) this.stderr.write(`${line}\n`);
  }

  /** A warning line (stderr), also with `--json`. */
  warn(line: string): void {
    this.stderr.write(`${this.errColor.yellow('warning:')} ${line}\n`);
  }

  /**
   * A spinner on stderr while `text` is going on. On a terminal it animates; otherwise (a pipe, a
   * log, `CI`) `text` is printed once as a plain line; with `--json` nothing is printed.
   */
  spinner(text: string): SpinnerHandle {
    if (this.json) return { succeed: () => {}, fail: () => {}, stop: () => {} };
    if (!this.interactive) {
      this.stderr.write(`${text}\n`);
      return {
        succeed: (t) => { this.stderr.write(`${t}\n`); },
        fail: (t) => { this.stderr.write(`${t}\n`); },
        stop: () => {},
      };
    }
    const spinner = yoctoSpinner({ text, stream: this.stderr, handleSignals: false }).start();
    return {
      succeed: (t) => { spinner.success(this.errColor.green(t)); },
      fail: (t) => { spinner.error(this.errColor.red(t)); },
      stop: () => { spinner.stop(); },
    };
  }

  /** A progress bar on stderr (a terminal only; elsewhere one line at the end). */
  progress(label: string, total: number): ProgressHandle {
    if (!this.interactive) {
      let last = 0;
      let max = total;
      return {
        update: (done, t) => { last = done; if (t !== undefined) max = t; },
        stop: () => { if (!this.json) this.stderr.write(`${label}: ${last}/${max}\n`); },
      };
    }
    const bar = new SingleBar({
      format: `${label} [{bar}] {value}/{total}`,
      stream: this.stderr, hideCursor: true, clearOnComplete: false, barsize: 30, noTTYOutput: false,
    });
    bar.start(total, 0);
    return {
      update: (done, t) => { if (t !== undefined) bar.setTotal(t); bar.update(done); },
      stop: () => { bar.stop(); },
    };
  }

  /** A table for stdout, with colours only when stdout is a terminal. */
  table(head: readonly string[], rows: readonly (readonly string[])[]): string {
    const table = new Table({
      head: head.map((h) => this.color.bold(h)),
      style: { head: [], border: [], compact: false },
    });
    for (const row of rows) table.push([...row]);
    return table.toString();
  }

  /** Environment of the command (for `--show` checks and tests). */
  get env(): NodeJS.ProcessEnv {
    return this.#env;
  }
}
