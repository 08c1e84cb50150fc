/** Test-only: run `fn` and return the XmtpError code it throws (fails the test if it does not throw one). Node only. */
import { XmtpError } from '../errors.js';

export function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof XmtpError) return error.code;
    throw new Error(`expected an XmtpError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected an XmtpError, nothing was thrown');
}

export async function asyncErrorCode(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof XmtpError) return error.code;
    throw new Error(`expected an XmtpError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected an XmtpError, nothing was thrown');
}
