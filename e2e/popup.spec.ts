// The popup asks the background for its status over the typed channel and shows the answer.
import { expect, stopServiceWorkers, test } from './fixtures.js';

test('the popup shows the background status', async ({ openPopup }) => {
  const popup = await openPopup();
  await expect(popup.getByTestId('status-ready')).toContainText('Background ready');
  await expect(popup.getByTestId('status-services')).toHaveText(
    'xmtp.mls.api.v1.MlsApi, xmtp.identity.api.v1.IdentityApi',
  );
  await expect(popup.getByTestId('status-compat')).toHaveText('libxmtp 1.10');
  await expect(popup.getByTestId('status-instance')).toHaveText(/^[0-9a-f-]{36}$/);
});

test('the background validates requests on the popup channel', async ({ openPopup }) => {
  const popup = await openPopup();
  await expect(popup.getByTestId('status-ready')).toBeVisible();
  const answers = await popup.evaluate(async () => {
    const { runtime } = (globalThis as unknown as { chrome: { runtime: { sendMessage(m: unknown): Promise<unknown> } } }).chrome;
    const send = (m: unknown) => runtime.sendMessage(m);
    return {
      unknown: await send({ channel: 'xmtp/popup', id: 'a', method: 'app.nope', params: {} }),
      badParams: await send({ channel: 'xmtp/popup', id: 'b', method: 'app.status', params: { x: 1 } }),
      ok: await send({ channel: 'xmtp/popup', id: 'c', method: 'app.status', params: {} }),
    };
  });
  expect(answers.unknown).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
  expect(answers.badParams).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  expect(answers.ok).toMatchObject({ ok: true, result: { product: 'XMTP Messenger' } });
});

test('a restarted service worker answers again, as a new instance', async ({ context, openPopup }) => {
  const popup = await openPopup();
  const first = await popup.getByTestId('status-instance').textContent();
  expect(first).toMatch(/^[0-9a-f-]{36}$/);
  await stopServiceWorkers(context);
  await popup.reload();
  await expect(popup.getByTestId('status-instance')).toHaveText(/^[0-9a-f-]{36}$/);
  expect(await popup.getByTestId('status-instance').textContent()).not.toBe(first);
});
