import { AuthManagerError, ErrorCode } from '@authmanager/core';
import { CliError, ExitCode, exitCodeOf } from './ExitCode.js';

/** A failure as the CLI reports it: one line of what happened, one of what to do. No secrets. */
export interface DescribedError {
  readonly code: string;
  readonly message: string;
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;
}

/** What the hint may mention: the provider and whether the built-in sandbox is in use. */
export interface ErrorContext {
  readonly provider?: string | undefined;
  readonly zeroConfig?: boolean;
}

function hintFor(err: AuthManagerError, context: ErrorContext): string | undefined {
  const provider = err.provider ?? context.provider ?? '<provider>';
  switch (err.code) {
    case ErrorCode.CREDENTIALS_NOT_FOUND: return `run \`authmanager connect ${provider}\``;
    case ErrorCode.REAUTHORIZATION_REQUIRED: return `run \`authmanager connect ${provider}\` again`;
    case ErrorCode.ACCOUNT_MISMATCH: return `run \`authmanager revoke ${provider}\` first, or connect under another --subject`;
    case ErrorCode.PROVIDER_NOT_REGISTERED: return 'add the provider to the config file\'s providers (`authmanager doctor` shows the config in use)';
    case ErrorCode.UNSUPPORTED_FLOW: return 'this provider does not offer it';
    case ErrorCode.CONFIGURATION: return 'set the named environment variable or the value in the config file; `authmanager doctor` lists what is missing';
    case ErrorCode.PROVIDER_UNAVAILABLE:
      return context.zeroConfig && provider === 'sandbox'
        ? 'the built-in sandbox runs only while `authmanager connect sandbox` does: run `authmanager sandbox` in another terminal and set SANDBOX_ISSUER, then connect again'
        : 'check the network or the provider\'s status, then try again';
    case ErrorCode.RATE_LIMITED: return `try again${err.retryAfterSeconds !== undefined ? ` in ${err.retryAfterSeconds} s` : ' later'}`;
    case ErrorCode.STORE_UNAVAILABLE: case ErrorCode.LOCK_TIMEOUT: case ErrorCode.STORE_CONFLICT:
      return 'check that the store is reachable (`authmanager doctor`), then try again';
    case ErrorCode.DECRYPTION_FAILED: case ErrorCode.KEY_MANAGEMENT_FAILED:
      return 'check the encryption key in use (`authmanager doctor`); records written under another key need that key';
    case ErrorCode.INVALID_STORED_CREDENTIALS: return `run \`authmanager connect ${provider}\` to replace the record`;
    case ErrorCode.AUTHORIZATION_DENIED: return `run \`authmanager connect ${provider}\` and approve the request`;
    case ErrorCode.INVALID_STATE: return `run \`authmanager connect ${provider}\` again`;
    default: return undefined;
  }
}

/**
 * The one-line message, hint and exit code of any error. `AuthManagerError` messages never hold
 * secrets; other errors are reduced to their first line.
 */
export function describeError(err: unknown, context: ErrorContext = {}): DescribedError {
  if (err instanceof CliError) return { code: err.code, message: err.message, hint: err.hint, exitCode: err.exitCode };
  if (AuthManagerError.is(err)) {
    return { code: err.code, message: err.message, hint: hintFor(err, context), exitCode: exitCodeOf(err) };
  }
  const message = String((err as Error)?.message ?? err).split('\n')[0] ?? 'unknown error';
  return { code: 'INTERNAL', message, hint: 'this is a bug: report it with the command and its --json output', exitCode: ExitCode.INTERNAL };
}
