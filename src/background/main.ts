/**
 * Service-worker start-up. Called synchronously from the WXT background entrypoint, so every
 * listener is registered before the first event is dispatched (MV3 requirement). The browser API
 * is touched only here; services below it receive plain dependencies.
 */
import { browser } from 'wxt/browser';
import type { HandlerMap } from '../messaging/channel.js';
import { popupChannel, type PopupMethods } from '../messaging/popup-protocol.js';
import { createStorageAreaStore } from '../keystore/storage-area-store.js';
import { createConversationService } from './conversation-service.js';
import { createIdentityService } from './identity-service.js';
import { createRouter } from './router.js';
import { getStatus } from './status.js';

export interface PopupContext {
  /** The extension page that sent the request (from the browser, never from the payload). */
  readonly senderUrl: string | undefined;
}

export function startBackground(): void {
  const instanceId = crypto.randomUUID();
  const startedAt = Date.now();
  const extensionVersion = browser.runtime.getManifest().version;

  // Unencrypted for now (see src/keystore/README.md): holds development identities only.
  const store = createStorageAreaStore({
    area: {
      get: (keys) => browser.storage.local.get(keys),
      set: (items) => browser.storage.local.set(items),
      remove: (keys) => browser.storage.local.remove(keys),
    },
  });
  const identity = createIdentityService({ store });
  const conversations = createConversationService({ client: () => identity.client() });

  const popupHandlers = {
    'app.status': () => getStatus({ extensionVersion, instanceId, startedAt }),
    'identity.create': (params) => identity.create(params),
    'identity.get': () => identity.get(),
    'conversations.sync': () => conversations.sync(),
    'conversations.list': () => conversations.list(),
    'conversations.dm': (params) => conversations.dm(params),
    'messages.list': (params) => conversations.messages(params),
    'messages.send': (params) => conversations.send(params),
  } satisfies HandlerMap<PopupMethods, PopupContext>;

  const popupRouter = createRouter<PopupMethods, PopupContext>(popupChannel, popupHandlers);

  const extensionOrigin = new URL(browser.runtime.getURL('/')).origin;

  browser.runtime.onMessage.addListener((message, sender, sendResponse) => {
    // Only our own extension pages (popup, approval window) may use the popup channel; content
    // scripts run on web pages, so their sender URL is the page's, and they get their own channel.
    if (sender.id !== browser.runtime.id || !isFromOrigin(sender.url, extensionOrigin)) return false;
    const answer = popupRouter.handle(message, { senderUrl: sender.url });
    if (!answer) return false;
    void answer.then(sendResponse);
    return true; // keeps the channel open for the async answer
  });
}

function isFromOrigin(url: string | undefined, origin: string): boolean {
  if (!url) return false;
  try {
    return new URL(url).origin === origin;
  } catch {
    return false;
  }
}
