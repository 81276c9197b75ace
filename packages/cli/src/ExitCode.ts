import { AuthManagerError, ErrorCode } from '@authmanager/core';

/**
 * Exit codes of the `authmanager` command. Stable: scripts may branch on them.
 *
 * | code | name | when |
 * | --- | --- | --- |
 * | 0 | `OK` | the command did what it was asked |
 * | 1 | `INTERNAL` | an unexpected failure (a bug: please report it with `--json` output) |
 * | 2 | `USAGE` | unknown command or option, missing argument |
 * | 3 | `CONFIGURATION` | the config file is missing, fails to load, or a provider's app credentials are missing or wrong; unknown provider |
 * | 4 | `NOT_CONNECTED` | no stored credential for this provider and subject: run `authmanager connect` |
 * | 5 | `REAUTHORIZATION_REQUIRED` | the refresh token is dead or absent: run `authmanager connect` again |
 * | 6 | `PROVIDER_REFUSED` | the provider refused: authorization denied, code exchange, refresh or revocation rejected, an invalid answer |
 * | 7 | `UNAVAILABLE` | the provider or the store could not be reached, rate limiting, a lock timeout: try again later |
 * | 8 | `STORED_DATA` | a stored record cannot be read: corrupt, or encrypted under a key this configuration lacks |
 * | 9 | `REFUSED_TTY` | `token` / `env pull` would print a secret to a terminal: add `--show`, or redirect the output |
 * | 10 | `CHECK_FAILED` | `doctor` found a failing check, or `migrate` / `keys rotate` could not verify or move every record |
 * | 11 | `TIMEOUT` | `connect` waited too long for the browser or the device code to be approved |
 * | 130 | `INTERRUPTED` | interrupted (Ctrl-C) |
 */
export const ExitCode = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  CONFIGURATION: 3,
  NOT_CONNECTED: 4,
  REAUTHORIZATION_REQUIRED: 5,
  PROVIDER_REFUSED: 6,
  UNAVAILABLE: 7,
  STORED_DATA: 8,
  REFUSED_TTY: 9,
  CHECK_FAILED: 10,
  TIMEOUT: 11,
  INTERRUPTED: 130,
} as const;

/** One of the {@link ExitCode} values. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** One-line explanation of each exit code, for the reference and `--help`. */
export const EXIT_CODE_DESCRIPTIONS: Readonly<Record<ExitCode, string>> = {
  0: 'success',
  1: 'unexpected failure (a bug)',
  2: 'usage: unknown command or option, missing argument',
  3: 'configuration: config file, app credentials, unknown provider',
  4: 'not connected: run `authmanager connect <provider>`',
  5: 'reauthorization required: run `authmanager connect <provider>` again',
  6: 'the provider refused (denied, exchange, refresh or revocation rejected)',
  7: 'provider or store unavailable, rate limited: try again later',
  8: 'a stored record cannot be read (corrupt, or another key)',
  9: 'refused to print a secret to a terminal: add --show or redirect',
  10: 'a check failed (doctor, migrate verification, key rotation)',
  11: 'timed out waiting for the authorization',
  130: 'interrupted',
};

/**
 * The exit code for an {@link AuthManagerError} code.
 * @param code - an `AuthManagerError` code
 * @returns the exit code a failure with that code ends the command with
 */
export function exitCodeFor(code: ErrorCode): ExitCode {
  switch (code) {
    case ErrorCode.CONFIGURATION:
    case ErrorCode.PROVIDER_NOT_REGISTERED:
    case ErrorCode.PROVIDER_NOT_IN_SESSION:
    case ErrorCode.UNSUPPORTED_FLOW:
      return ExitCode.CONFIGURATION;
    case ErrorCode.CREDENTIALS_NOT_FOUND:
      return ExitCode.NOT_CONNECTED;
    case ErrorCode.REAUTHORIZATION_REQUIRED:
    case ErrorCode.ACCOUNT_MISMATCH:
      return ExitCode.REAUTHORIZATION_REQUIRED;
    case ErrorCode.PROVIDER_UNAVAILABLE:
    case ErrorCode.RATE_LIMITED:
    case ErrorCode.STORE_UNAVAILABLE:
    case ErrorCode.STORE_CONFLICT:
    case ErrorCode.LOCK_TIMEOUT:
      return ExitCode.UNAVAILABLE;
    case ErrorCode.INVALID_STORED_CREDENTIALS:
    case ErrorCode.DECRYPTION_FAILED:
    case ErrorCode.KEY_MANAGEMENT_FAILED:
      return ExitCode.STORED_DATA;
    default:
      return ExitCode.PROVIDER_REFUSED;
  }
}

/** The exit code an error ends the command with. */
export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof CliError) return err.exitCode;
  if (AuthManagerError.is(err)) return exitCodeFor(err.code);
  return ExitCode.INTERNAL;
}

/**
 * A failure the CLI reports as one line: what happened, what to do, and its exit code. Never
 * holds a secret.
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  /** The exit code (see {@link ExitCode}). */
  readonly exitCode: ExitCode;
  /** A stable string code for `--json` output, e.g. `NOT_A_TTY_SAFE`, or an `AuthManagerError` code. */
  readonly code: string;
  /** What to do about it, one sentence. */
  readonly hint: string | undefined;

  /**
   * @param exitCode - see {@link ExitCode}
   * @param code - a stable string code
   * @param message - what happened (no secret)
   * @param hint - what to do about it
   */
  constructor(exitCode: ExitCode, code: string, message: string, hint?: string, options?: ErrorOptions) {
    super(message, options);
    this.exitCode = exitCode;
    this.code = code;
    this.hint = hint;
  }
}
