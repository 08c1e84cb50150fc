/**
 * The one error type of the project. Runs everywhere (service worker, popup, page, Node).
 *
 * Guarantees: every error has a stable machine-readable `code`, says whether retrying can help
 * (`retryable`), keeps its `cause`, and crosses contexts as a plain object (`toJSON` / `fromJSON`)
 * without losing any of that. Only the dapp provider edge maps codes to EIP-1193 numbers.
 */

/** Codes shared by every layer. Feature modules add their own (dotted by area, e.g. `identity.replay`). */
export const ErrorCodes = {
  internal: 'internal',
  invalidRequest: 'invalid_request',
  unknownMethod: 'unknown_method',
  unavailable: 'unavailable',
} as const;

export interface SerializedError {
  readonly name: 'XmtpError';
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
  readonly cause?: SerializedError;
}

export interface XmtpErrorOptions {
  readonly retryable?: boolean;
  readonly cause?: unknown;
}

export class XmtpError extends Error {
  override readonly name = 'XmtpError';
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: XmtpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
  }

  toJSON(): SerializedError {
    const cause = this.cause === undefined ? undefined : XmtpError.from(this.cause).toJSON();
    return {
      name: 'XmtpError',
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(cause ? { cause } : {}),
    };
  }

  /** Rebuilds an error sent from another context. Anything malformed becomes an `internal` error. */
  static fromJSON(value: unknown): XmtpError {
    if (!isSerializedError(value)) {
      return new XmtpError(ErrorCodes.internal, 'Malformed error received from another context');
    }
    return new XmtpError(value.code, value.message, {
      retryable: value.retryable,
      ...(value.cause === undefined ? {} : { cause: XmtpError.fromJSON(value.cause) }),
    });
  }

  /** Wraps anything thrown into an XmtpError, keeping XmtpErrors as they are. */
  static from(error: unknown): XmtpError {
    if (error instanceof XmtpError) return error;
    if (error instanceof Error) return new XmtpError(ErrorCodes.internal, error.message);
    return new XmtpError(ErrorCodes.internal, String(error));
  }
}

function isSerializedError(value: unknown): value is SerializedError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.name === 'XmtpError' &&
    typeof v.code === 'string' &&
    typeof v.message === 'string' &&
    typeof v.retryable === 'boolean'
  );
}
