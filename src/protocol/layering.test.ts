// Checks that the lint rule keeping src/protocol pure actually fires (and does not fire elsewhere).
import { ESLint } from 'eslint';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const eslint = new ESLint({ cwd: ROOT });

async function lint(code: string, file: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
}

describe('src/protocol layering rule', () => {
  test('default: plain protocol code passes', async () => {
    expect(await lint('export const x = new TextEncoder().encode("a");\n', 'src/protocol/sample.ts')).toEqual([]);
  });

  test.each([
    ["import { browser } from 'wxt/browser';\nexport const b = browser;\n", 'extension'],
    ["import Dexie from 'dexie';\nexport const d = Dexie;\n", 'IndexedDB'],
    ["import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n", 'Node'],
    ["import { App } from '../ui/popup/app.js';\nexport const a = App;\n", 'layers above'],
    ["import { startBackground } from '../background/main.js';\nexport const s = startBackground;\n", 'layers above'],
  ])('error: %s is refused', async (code, why) => {
    const messages = await lint(code, 'src/protocol/sample.ts');
    expect(messages.some((m) => m.startsWith('no-restricted-imports') && m.includes(why))).toBe(true);
  });

  test.each(['chrome.runtime.id', 'indexedDB.open("x")', 'window.location', 'document.title', 'process.env.X'])(
    'error: global %s is refused',
    async (expr) => {
      const messages = await lint(`export const v = () => ${expr};\n`, 'src/protocol/sample.ts');
      expect(messages.some((m) => m.startsWith('no-restricted-globals'))).toBe(true);
    },
  );

  test('behavior: the rule does not apply outside src/protocol', async () => {
    const code = "import { browser } from 'wxt/browser';\nexport const b = browser;\n";
    expect(await lint(code, 'src/background/sample.ts')).toEqual([]);
  });
});
