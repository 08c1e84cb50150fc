import { describe, expect, test } from 'vitest';
import { ErrorCodes, XmtpError } from './errors.js';

describe('XmtpError', () => {
  test('default: keeps code, message and retryable', () => {
    const e = new XmtpError('identity.replay', 'signature already used', { retryable: false });
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('identity.replay');
    expect(e.message).toBe('signature already used');
    expect(e.retryable).toBe(false);
  });

  test('behavior: survives a JSON round trip with its cause chain', () => {
    const inner = new XmtpError('delivery.unavailable', 'node down', { retryable: true });
    const outer = new XmtpError('send.failed', 'could not send', { cause: inner });
    const copy = XmtpError.fromJSON(JSON.parse(JSON.stringify(outer)));
    expect(copy.code).toBe('send.failed');
    expect(copy.retryable).toBe(false);
    const cause = copy.cause as XmtpError;
    expect(cause).toBeInstanceOf(XmtpError);
    expect(cause.code).toBe('delivery.unavailable');
    expect(cause.retryable).toBe(true);
  });

  test('behavior: from() wraps foreign errors as internal and keeps XmtpErrors', () => {
    const own = new XmtpError('x', 'y');
    expect(XmtpError.from(own)).toBe(own);
    const wrapped = XmtpError.from(new TypeError('boom'));
    expect(wrapped.code).toBe(ErrorCodes.internal);
    expect(wrapped.message).toBe('boom');
    expect(XmtpError.from('plain').message).toBe('plain');
  });

  test('error: malformed serialized errors become internal errors', () => {
    for (const bad of [null, 42, 'x', {}, { name: 'XmtpError', code: 1, message: 'm', retryable: false }]) {
      expect(XmtpError.fromJSON(bad).code).toBe(ErrorCodes.internal);
    }
  });
});
