import { describe, expect, test } from 'vitest';
import type { ChannelDefinition, HandlerMap, MethodSpec } from '../messaging/channel.js';
import { sendRequest } from '../messaging/send-request.js';
import { noParams, objectParams } from '../messaging/validate.js';
import { ErrorCodes, XmtpError } from '../protocol/errors.js';
import { createRouter } from './router.js';

type Methods = {
  'math.double': MethodSpec<{ n: number }, number>;
  'app.ping': MethodSpec<Record<string, never>, string>;
  'app.fail': MethodSpec<Record<string, never>, never>;
};

const channel = {
  name: 'test/channel',
  validators: {
    'math.double': (input: unknown) => {
      const p = objectParams(input);
      if (typeof p.n !== 'number') throw new XmtpError(ErrorCodes.invalidRequest, 'n must be a number');
      return { n: p.n };
    },
    'app.ping': noParams,
    'app.fail': noParams,
  },
} as const satisfies ChannelDefinition<Methods>;

const handlers = {
  'math.double': ({ n }: { n: number }) => n * 2,
  'app.ping': async () => 'pong',
  'app.fail': () => {
    throw new XmtpError('test.failed', 'it failed', { retryable: true });
  },
} satisfies HandlerMap<Methods, { origin: string }>;

const router = createRouter<Methods, { origin: string }>(channel, handlers);
const ctx = { origin: 'chrome-extension://test' };
const transport = async (message: unknown) => router.handle(JSON.parse(JSON.stringify(message)), ctx);

describe('createRouter', () => {
  test('default: a typed request gets its handler result', async () => {
    await expect(sendRequest(transport, channel, 'math.double', { n: 21 })).resolves.toBe(42);
    await expect(sendRequest(transport, channel, 'app.ping', {})).resolves.toBe('pong');
  });

  test('behavior: ignores messages for other channels', () => {
    expect(router.handle({ channel: 'other', id: '1', method: 'app.ping', params: {} }, ctx)).toBeUndefined();
    expect(router.handle('app.ping', ctx)).toBeUndefined();
    expect(router.handle(null, ctx)).toBeUndefined();
  });

  test('error: unknown methods, including inherited names, are refused', async () => {
    for (const method of ['app.nope', 'toString', '__proto__', 42]) {
      const answer = await router.handle({ channel: 'test/channel', id: '1', method, params: {} }, ctx);
      expect(answer).toMatchObject({ ok: false, error: { code: ErrorCodes.unknownMethod } });
    }
  });

  test('error: invalid params never reach the handler', async () => {
    const answer = await router.handle({ channel: 'test/channel', id: '1', method: 'math.double', params: { n: 'x' } }, ctx);
    expect(answer).toMatchObject({ ok: false, error: { code: ErrorCodes.invalidRequest, message: 'n must be a number' } });
    const extra = await router.handle({ channel: 'test/channel', id: '1', method: 'app.ping', params: { a: 1 } }, ctx);
    expect(extra).toMatchObject({ ok: false, error: { code: ErrorCodes.invalidRequest } });
  });

  test('error: a handler failure arrives as the same XmtpError on the caller side', async () => {
    const error = await sendRequest(transport, channel, 'app.fail', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(XmtpError);
    expect(error).toMatchObject({ code: 'test.failed', message: 'it failed', retryable: true });
  });

  test('error: a transport failure is a retryable unavailable error', async () => {
    const broken = async () => {
      throw new Error('Receiving end does not exist');
    };
    await expect(sendRequest(broken, channel, 'app.ping', {})).rejects.toMatchObject({
      code: ErrorCodes.unavailable,
      retryable: true,
    });
  });

  test('behavior: a missing handler is a compile error', () => {
    // @ts-expect-error 'app.fail' is missing from the handler map
    const incomplete: HandlerMap<Methods, unknown> = { 'math.double': () => 0, 'app.ping': () => '' };
    expect(Object.keys(incomplete)).toHaveLength(2);
  });
});
