// Lint rules. The important project rule: src/protocol is pure TypeScript that runs unchanged in the
// service worker, in Node and in a page, so it may not import browser, extension, IndexedDB or Node
// APIs, nor any layer above it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const browserGlobals = [
  'chrome',
  'browser',
  'window',
  'document',
  'navigator',
  'localStorage',
  'sessionStorage',
  'indexedDB',
  'IDBFactory',
  'IDBDatabase',
  'IDBKeyRange',
  'IDBTransaction',
  'IDBObjectStore',
  'caches',
  'importScripts',
  'process',
  'Buffer',
  '__dirname',
  'require',
].map((name) => ({
  name,
  message: 'src/protocol must not use browser, extension, IndexedDB or Node globals: take a dependency (Store, Api, Signer, Clock) instead.',
}));

export const protocolRestrictedImports = {
  patterns: [
    {
      group: ['wxt', 'wxt/*', '@wxt-dev/*', 'webextension-polyfill', 'dexie', 'dexie/*', 'fake-indexeddb', 'fake-indexeddb/*', 'idb', 'idb/*'],
      message: 'src/protocol must not import browser, extension or IndexedDB APIs.',
    },
    {
      group: ['node:*', 'fs', 'fs/*', 'path', 'os', 'child_process', 'http', 'http2', 'https', 'net', 'crypto', 'stream', 'worker_threads', 'better-sqlite3', 'pg'],
      message: 'src/protocol must not import Node built-ins or server-only packages.',
    },
    {
      group: ['preact', 'preact/*', '**/ui/**', '**/background/**', '**/keystore/**', '**/messaging/**', '**/provider/**', '@/entrypoints/**', '**/server/**', '**/cli/**'],
      message: 'src/protocol is the bottom layer: it must not import the layers above it.',
    },
  ],
};

export default tseslint.config(
  {
    ignores: ['node_modules/', '.output/', '.wxt/', 'src/gen/', 'test-results/', 'playwright-report/', '.libxmtp/', '.xmtp-dev/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        crypto: 'readonly',
        URL: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        structuredClone: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'No default exports outside WXT entrypoints and config files.' },
      ],
    },
  },
  {
    files: ['entrypoints/**', '*.config.{ts,js}', 'e2e/global-setup.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['scripts/**/*.{js,mjs}', 'e2e/**', 'server/**', 'cli/**', '*.config.{ts,js}'],
    languageOptions: {
      globals: { process: 'readonly', Buffer: 'readonly' },
    },
  },
  {
    files: ['src/protocol/**/*.{ts,tsx}'],
    // Tests beside the protocol code, and their helpers, run only in Node and may use its APIs.
    ignores: ['src/protocol/**/*.test.ts', 'src/protocol/test-support/**'],
    rules: {
      'no-restricted-imports': ['error', protocolRestrictedImports],
      'no-restricted-globals': ['error', ...browserGlobals],
    },
  },
);
