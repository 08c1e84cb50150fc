/**
 * Small validators for untrusted params at context boundaries. Each throws an XmtpError with code
 * `invalid_request` and a message that names the offending field.
 */
import { ErrorCodes, XmtpError } from '../protocol/errors.js';

function invalid(message: string): XmtpError {
  return new XmtpError(ErrorCodes.invalidRequest, message);
}

/** Accepts `undefined` or an object with no own keys (methods that take no params). */
export function noParams(input: unknown): Record<string, never> {
  if (input === undefined) return {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalid('params must be an object');
  }
  const keys = Object.keys(input);
  if (keys.length > 0) throw invalid(`unexpected params: ${keys.join(', ')}`);
  return {};
}

export function objectParams(input: unknown): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalid('params must be an object');
  }
  return input as Record<string, unknown>;
}
