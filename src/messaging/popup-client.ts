/**
 * The popup's client for the background: `callBackground('app.status', {})`, fully typed.
 * Runs in extension pages (popup, approval window).
 */
import { browser } from 'wxt/browser';
import type { MethodName, ParamsOf, ResultOf } from './channel.js';
import { popupChannel, type PopupMethods } from './popup-protocol.js';
import { sendRequest } from './send-request.js';

export function callBackground<K extends MethodName<PopupMethods>>(
  method: K,
  params: ParamsOf<PopupMethods, K>,
): Promise<ResultOf<PopupMethods, K>> {
  return sendRequest<PopupMethods, K>((m) => browser.runtime.sendMessage(m), popupChannel, method, params);
}
