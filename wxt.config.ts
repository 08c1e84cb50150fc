// WXT build configuration for the extension (Manifest V3, Preact popup).
import preact from '@preact/preset-vite';
import type { Plugin } from 'vite';
import { defineConfig } from 'wxt';

/**
 * The service worker may not contain a dynamic `import()` (MV3 service workers cannot load modules
 * at run time) nor a Node built-in.
 *
 * @hpke/common and mlkem keep a fallback for Node ≤ 18, `await import("crypto")`, reached only when
 * `globalThis.crypto` is missing — never in a service worker, a page or Node ≥ 20. Left alone, Vite
 * turns it into `import("./chunks/__vite-browser-external-….js")` plus its preload helper. This
 * plugin replaces that one expression with a rejected promise (so the library's own `catch` reports
 * "not supported", exactly as on a platform without WebCrypto), then refuses to emit any chunk that
 * still has a dynamic import or a Node built-in, so a new dependency cannot bring one back unnoticed.
 */
function serviceWorkerSafe(): Plugin {
  const nodeCryptoImport = /\bimport\(\s*(["'])(?:node:)?crypto\1\s*\)/g;
  return {
    name: 'xmtp:service-worker-safe',
    enforce: 'pre',
    transform(code, id) {
      if (!id.includes('/node_modules/') || !nodeCryptoImport.test(code)) return null;
      nodeCryptoImport.lastIndex = 0;
      return {
        code: code.replace(nodeCryptoImport, 'Promise.reject(new Error("node:crypto is not available in the extension"))'),
        map: null,
      };
    },
    generateBundle(_options, bundle) {
      for (const file of Object.values(bundle)) {
        if (file.type !== 'chunk') continue;
        const nodeBuiltin = file.imports.find((i) => i.startsWith('node:') || i.includes('__vite-browser-external'));
        if (file.dynamicImports.length > 0 || /\bimport\(/.test(file.code)) {
          this.error(`${file.fileName} contains a dynamic import() (${[...new Set(file.dynamicImports)].join(', ') || 'in its code'}); the service worker cannot load it`);
        }
        if (nodeBuiltin) this.error(`${file.fileName} imports the Node built-in ${nodeBuiltin}`);
      }
    },
  };
}

export default defineConfig({
  // Explicit imports everywhere: modules import `browser` from 'wxt/browser' and `define*` from 'wxt/utils/…'.
  imports: false,
  manifest: {
    name: 'XMTP Messenger',
    description: 'End-to-end encrypted XMTP messaging in your browser.',
    permissions: ['storage'],
  },
  vite: () => ({
    plugins: [serviceWorkerSafe(), preact()],
  }),
});
