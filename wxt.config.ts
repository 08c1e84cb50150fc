// WXT build configuration for the extension (Manifest V3, Preact popup).
import preact from '@preact/preset-vite';
import { defineConfig } from 'wxt';

export default defineConfig({
  // Explicit imports everywhere: modules import `browser` from 'wxt/browser' and `define*` from 'wxt/utils/…'.
  imports: false,
  manifest: {
    name: 'XMTP Messenger',
    description: 'End-to-end encrypted XMTP messaging in your browser.',
    permissions: ['storage'],
  },
  vite: () => ({
    plugins: [preact()],
  }),
});
