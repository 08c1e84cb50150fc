/**
 * Passkeys in real Chromium: a page on http://localhost:<port> bundles the extension's passkey
 * signer (src/keystore/passkey-signer.ts); the DevTools virtual authenticator (CTAP2, internal,
 * resident keys, user verification) plays the platform authenticator. The page creates a passkey
 * and signs XMTP signature texts; this Node process verifies them with the node's verifier
 * (src/protocol/identity/passkey.ts), exactly as libxmtp does, and checks the negatives.
 *
 * Plain Chromium, no extension: WebAuthn works the same on any secure origin.
 */
import { create } from '@bufbuild/protobuf';
import { chromium, expect, test, type Browser, type BrowserContext, type CDPSession, type Page } from '@playwright/test';
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { RecoverablePasskeySignatureSchema } from '../src/gen/identity/associations/signature_pb.js';
import { XmtpError } from '../src/protocol/errors.js';
import {
  parsePasskeyClientData,
  passkeyChallenge,
  PasskeyErrorCodes,
  verifyPasskeySignature,
} from '../src/protocol/identity/passkey.js';
import type { PasskeyTestApi } from './passkey-page/main.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const P256_FIELD_P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;

let browser: Browser;
let server: Server;
let origin: string;

async function bundlePage(): Promise<string> {
  const result = await build({
    configFile: false,
    envFile: false,
    logLevel: 'warn',
    root: ROOT,
    build: {
      write: false,
      minify: false,
      emptyOutDir: false,
      lib: { entry: path.join(ROOT, 'e2e/passkey-page/main.ts'), formats: ['iife'], name: 'passkeyPage', fileName: () => 'page.js' },
    },
  });
  const outputs = Array.isArray(result) ? result : [result];
  for (const output of outputs) {
    if (!('output' in output)) continue;
    const chunk = output.output.find((item) => item.type === 'chunk');
    if (chunk && chunk.type === 'chunk') return chunk.code;
  }
  throw new Error('vite produced no bundle for the passkey page');
}

test.beforeAll(async () => {
  const script = await bundlePage();
  const html = '<!doctype html><html><head><meta charset="utf-8"><title>passkey e2e</title></head><body><script src="/page.js"></script></body></html>';
  server = createServer((req, res) => {
    if (req.url === '/page.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    else if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // http://localhost is a secure context, so WebAuthn is available (rpId "localhost").
  origin = `http://localhost:${(server.address() as AddressInfo).port}`;
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium not found at ${CHROMIUM_PATH}`);
  browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: !process.env.HEADED,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
});

test.afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

interface Harness {
  context: BrowserContext;
  page: Page;
  cdp: CDPSession;
  authenticatorId: string;
}

async function openPage(): Promise<Harness> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${origin}/`);
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { context, page, cdp, authenticatorId };
}

function pageApi(page: Page) {
  return {
    create: (options: Parameters<PasskeyTestApi['create']>[0]) =>
      page.evaluate((o) => (window as unknown as { passkeyTest: PasskeyTestApi }).passkeyTest.create(o), options),
    sign: (options: Parameters<PasskeyTestApi['sign']>[0]) =>
      page.evaluate((o) => (window as unknown as { passkeyTest: PasskeyTestApi }).passkeyTest.sign(o), options),
  };
}

/** libxmtp's signature text for creating an inbox owned by a passkey (wire spec §3.2), built by hand here. */
function createInboxText(passkeyHex: string): { inboxId: string; text: string } {
  const inboxId = createHash('sha256').update(`${passkeyHex}1`).digest('hex');
  const text = [
    'XMTP : Authenticate to inbox',
    '',
    `Inbox ID: ${inboxId}`,
    'Current time: 2026-11-26T08:00:00Z',
    '',
    '- Create inbox',
    `  (Owner: ${passkeyHex})`,
    '',
    'For more info: https://xmtp.org/signatures',
  ].join('\n');
  return { inboxId, text };
}

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => new Error('verified, but should not have'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(XmtpError);
  expect((error as XmtpError).code).toBe(code);
}

test('a passkey created in Chromium signs XMTP signature texts that verify as libxmtp verifies them', async () => {
  const { context, page, cdp, authenticatorId } = await openPage();
  const api = pageApi(page);

  const created = await api.create({ rpId: 'localhost', rpName: 'XMTP e2e', userName: 'alice@example.test' });

  // The key the page extracted from the attestation is the authenticator's: derive it from the
  // virtual authenticator's private key (PKCS#8 over CDP) in Node.
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  expect(credentials).toHaveLength(1);
  const [credential] = credentials;
  expect(credential?.rpId).toBe('localhost');
  expect(credential?.isResidentCredential).toBe(true);
  expect(Buffer.from(credential?.credentialId ?? '', 'base64').toString('base64url')).toBe(created.credentialId);
  const jwk = createPublicKey(createPrivateKey({ key: Buffer.from(credential?.privateKey ?? '', 'base64'), format: 'der', type: 'pkcs8' })).export({
    format: 'jwk',
  });
  const expectedKey = `04${Buffer.from(jwk.x ?? '', 'base64url').toString('hex')}${Buffer.from(jwk.y ?? '', 'base64url').toString('hex')}`;
  expect(created.publicKeyHex).toBe(expectedKey);
  expect(created.publicKeyHex).toMatch(/^04[0-9a-f]{128}$/);

  const { text } = createInboxText(created.publicKeyHex);

  // Sign until the authenticator has produced a high-s signature (it does not normalise s: about
  // half are high), verifying every signature in Node.
  let highS = 0;
  let lastSignCount = -1;
  for (let i = 0; i < 24 && (i < 4 || highS === 0); i++) {
    const result = await api.sign({ credentialId: created.credentialId, publicKeyHex: created.publicKeyHex, text, rpId: 'localhost' });
    if (!result.ok) throw new Error(`signing failed: ${result.code} ${result.message}`);
    const sig = create(RecoverablePasskeySignatureSchema, {
      publicKey: hex(result.publicKey),
      signature: hex(result.signature),
      authenticatorData: hex(result.authenticatorData),
      clientDataJson: hex(result.clientDataJson),
    });

    const verified = await verifyPasskeySignature(sig, text);
    expect(verified.kind).toBe('passkey');
    // The relying party libxmtp records is the page origin (with its port), not the rpId.
    expect(verified.signer).toEqual({ kind: 'passkey', key: hex(created.publicKeyHex), relyingParty: origin });
    const s = BigInt(`0x${Buffer.from(verified.replayKey.subarray(32)).toString('hex')}`);
    if (s > P256_N / 2n) highS++;

    // What Chromium put in the assertion.
    const clientData = JSON.parse(Buffer.from(sig.clientDataJson).toString('utf8')) as Record<string, unknown>;
    expect(clientData).toMatchObject({ type: 'webauthn.get', challenge: passkeyChallenge(text), origin, crossOrigin: false });
    expect(parsePasskeyClientData(sig.clientDataJson)).toEqual({ origin, challenge: passkeyChallenge(text) });
    const authData = sig.authenticatorData;
    expect(Buffer.from(authData.subarray(0, 32)).toString('hex')).toBe(createHash('sha256').update('localhost').digest('hex'));
    expect((authData[32] ?? 0) & 0x05).toBe(0x05); // user present and verified
    const signCount = Buffer.from(authData).readUInt32BE(33);
    expect(signCount).toBeGreaterThan(lastSignCount);
    lastSignCount = signCount;

    // Negatives: the same signature for another text; tampered authenticator data; client data
    // claiming another origin.
    await expectCode(verifyPasskeySignature(sig, `${text}\n`), PasskeyErrorCodes.challengeMismatch);
    await expectCode(verifyPasskeySignature(sig, text.replace('Create inbox', 'Revoke inbox')), PasskeyErrorCodes.challengeMismatch);
    const tampered = Uint8Array.from(authData);
    tampered[36] = (tampered[36] ?? 0) ^ 0x01; // the sign counter
    await expectCode(verifyPasskeySignature({ ...sig, authenticatorData: tampered }, text), PasskeyErrorCodes.invalidSignature);
    const otherRp = Uint8Array.from(authData);
    otherRp.set(createHash('sha256').update('evil.example').digest(), 0);
    await expectCode(verifyPasskeySignature({ ...sig, authenticatorData: otherRp }, text), PasskeyErrorCodes.invalidSignature);
    const forgedOrigin = Buffer.from(Buffer.from(sig.clientDataJson).toString('utf8').replace(origin, origin.replace('localhost', 'evilhost')));
    expect(parsePasskeyClientData(forgedOrigin).origin).not.toBe(origin);
    await expectCode(verifyPasskeySignature({ ...sig, clientDataJson: Uint8Array.from(forgedOrigin) }, text), PasskeyErrorCodes.invalidSignature);
  }
  expect(highS).toBeGreaterThan(0);

  // The signer refuses to hand out a signature under a key that is not the credential's (here the
  // negated point: valid, but another key).
  const y = BigInt(`0x${expectedKey.slice(66)}`);
  const negated = `04${expectedKey.slice(2, 66)}${(P256_FIELD_P - y).toString(16).padStart(64, '0')}`;
  const wrongKey = await api.sign({ credentialId: created.credentialId, publicKeyHex: negated, text, rpId: 'localhost' });
  expect(wrongKey).toMatchObject({ ok: false, code: 'passkey.unverifiable' });

  await context.close();
});
