// Key-package interop with REAL libxmtp 1.10 (@xmtp/node-sdk 6.0.0) through our node:
// our client registers an inbox (registerInbox) and uploads a key package built by
// createXmtpKeyPackage; a libxmtp peer then DMs us and creates a group with us. libxmtp can only do
// that after fetching our key package and validating it (TLS parse, signatures, lifetime,
// credential, installation in the inbox), so both succeeding, and the node then holding a welcome
// for our installation, is the proof. The welcome's wrapper algorithm follows our KP: X-Wing (2)
// to the 0xFF03 key when we publish one, Curve25519 (1) to the init key otherwise. As a check that
// the returned secrets are the right ones, each welcome is then opened (HPKE, test-local code) and
// joined with ts-mls.
// Run: npx vitest run --config vitest.interop.config.ts interop/key-package.interop.test.ts
import path from 'node:path';
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { CipherSuite, DhkemX25519HkdfSha256, HkdfSha256, type KemInterface } from '@hpke/core';
import { XWing } from '@hpke/hybridkem-x-wing';
import { getCiphersuiteImpl, joinGroup, mlsMessageDecoder, unsafeTestingAuthenticationService, wireformats, type MlsContext } from 'ts-mls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WelcomeMessage_V1 } from '../src/gen/mls/api/v1/mls_pb.js';
import { WelcomeWrapperAlgorithm } from '../src/gen/mls/message_contents/wrapper_encryption_pb.js';
import { registerInbox } from '../src/protocol/identity/register-inbox.js';
import { createXmtpKeyPackage, toPrivateKeyPackage, type CreateXmtpKeyPackageReturnType } from '../src/protocol/mls/create-key-package.js';
import { decodeVector } from '../src/protocol/mls/tls.js';
import { inboxIdFor, newInstallation, newWallet, type TestInstallation, type TestWallet } from '../src/protocol/test-support/identity-builder.js';
import { grpcClients } from '../server/test-support/clients.js';
import { createPeer, ensureLibxmtpRuntime, interopTmpDir, type NodeProcess, type Peer, type PeerIdentity, startNodeProcess } from './harness.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
/** A copy in its own ArrayBuffer (the gRPC client hands out Buffer views into a shared pool). */
const own = (b: Uint8Array): ArrayBuffer => new Uint8Array(b).buffer;
/** TLS EncryptContext{ label = "MLS 1.0 MLS_WELCOME", context = "" } (xmtp-wire.md §6.2). */
const WELCOME_INFO = new Uint8Array([0x13, ...new TextEncoder().encode('MLS 1.0 MLS_WELCOME'), 0x00]);
/** The obsolete X-Wing draft-06 KEM id libxmtp 1.10 uses (interop-findings T5). */
const XWING_KEM_ID_LIBXMTP = 0x004d;

let node: NodeProcess;
let lx: Peer;
let lxId: PeerIdentity;

beforeAll(async () => {
  await ensureLibxmtpRuntime();
  node = await startNodeProcess({ db: path.join(interopTmpDir(), 'key-package.sqlite') });
  lx = createPeer('kp-libxmtp', node.url);
  lxId = await lx.init();
});
afterAll(async () => {
  await node?.stop();
});

interface Ours {
  wallet: TestWallet;
  installation: TestInstallation;
  inboxId: string;
  kp: CreateXmtpKeyPackageReturnType;
  /** X-Wing KEM (id 0x004D) and private key, when the KP carries 0xFF03. */
  xwing?: { kem: XWing; privateKey: CryptoKey };
}

/** Our client's registration, in libxmtp's order: upload the key package, then publish the identity update. */
async function registerOurs(opts: { postQuantum: boolean }): Promise<Ours> {
  const { mls, identity } = grpcClients(node.url);
  const wallet = newWallet();
  const installation = newInstallation();
  const inboxId = inboxIdFor(wallet);
  let xwing: Ours['xwing'];
  let welcomeWrapperPublicKey: Uint8Array | undefined;
  if (opts.postQuantum) {
    const kem = new XWing();
    (kem as { id: number }).id = XWING_KEM_ID_LIBXMTP;
    const pair = await kem.generateKeyPair();
    welcomeWrapperPublicKey = new Uint8Array(await kem.serializePublicKey(pair.publicKey));
    xwing = { kem, privateKey: pair.privateKey };
  }
  const kp = await createXmtpKeyPackage({
    inboxId,
    installationSecretKey: installation.secretKey,
    ...(welcomeWrapperPublicKey ? { welcomeWrapperPublicKey, pointerAead: true } : {}),
    now: Math.floor(Date.now() / 1000),
  });
  // the installation that signs identity updates is the KP's leaf signature key
  expect(kp.installationKey).toEqual(installation.publicKey);

  await mls.uploadKeyPackage({ keyPackage: { keyPackageTlsSerialized: kp.keyPackage }, isInboxIdCredential: true });
  const registered = await registerInbox({ api: identity, identity: wallet, installation });
  expect(registered).toMatchObject({ inboxId, created: true });

  const fetched = await mls.fetchKeyPackages({ installationKeys: [installation.publicKey] });
  expect(hex(fetched.keyPackages[0]?.keyPackageTlsSerialized ?? new Uint8Array())).toBe(hex(kp.keyPackage));
  return { wallet, installation, inboxId, kp, ...(xwing ? { xwing } : {}) };
}

async function welcomesFor(installationKey: Uint8Array): Promise<WelcomeMessage_V1[]> {
  const { messages } = await grpcClients(node.url).mls.queryWelcomeMessages({ installationKey, pagingInfo: { limit: 100 } });
  return messages.map((m) => {
    if (m.version.case !== 'v1') throw new Error(`expected V1 welcomes (one recipient, no pointers), got ${m.version.case}`);
    return m.version.value;
  });
}

/** Opens a wrapped welcome (test-local HPKE, §6.2) and joins it with ts-mls: returns the group id (hex). */
async function joinFromWelcome(ours: Ours, welcome: WelcomeMessage_V1): Promise<string> {
  const kem: KemInterface = ours.xwing ? ours.xwing.kem : new DhkemX25519HkdfSha256();
  const suite = new CipherSuite({ kem, kdf: new HkdfSha256(), aead: new Chacha20Poly1305() });
  const recipientKey = ours.xwing ? ours.xwing.privateKey : await suite.kem.importKey('raw', own(ours.kp.secrets.initPrivateKey), false);
  const enc = decodeVector(welcome.data, 0);
  const ct = enc && decodeVector(welcome.data, enc[1]);
  if (!enc || !ct || ct[1] !== welcome.data.length) throw new Error('welcome data is not a TLS HpkeCiphertext');
  const context = await suite.createRecipientContext({ recipientKey, enc: own(enc[0]), info: own(WELCOME_INFO) });
  const plaintext = new Uint8Array(await context.open(own(ct[0])));
  const decoded = mlsMessageDecoder(plaintext, 0);
  if (!decoded || decoded[0].wireformat !== wireformats.mls_welcome) throw new Error('the wrapped payload is not an MLS Welcome');
  const mls: MlsContext = {
    cipherSuite: await getCiphersuiteImpl('MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519'),
    authService: unsafeTestingAuthenticationService,
  };
  const state = await joinGroup({
    context: mls,
    welcome: decoded[0].welcome,
    keyPackage: ours.kp.decoded,
    privateKeys: toPrivateKeyPackage(ours.kp.secrets, ours.installation.secretKey),
  });
  return hex(state.groupContext.groupId);
}

describe.each([
  { label: 'with 0xFF03 (X-Wing) and 0xFF04, like libxmtp', postQuantum: true, algorithm: WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6, kemOutput: 1120 },
  { label: 'without 0xFF03', postQuantum: false, algorithm: WelcomeWrapperAlgorithm.CURVE25519, kemOutput: 32 },
])('our key package $label', ({ postQuantum, algorithm, kemOutput }) => {
  it('libxmtp validates it: it DMs us and creates a group with us, and the node holds welcomes wrapped as the KP says', async () => {
    const ours = await registerOurs({ postQuantum });
    const ourInstallationHex = hex(ours.installation.publicKey);

    const dm = await lx.dm(ours.wallet.address, 'hi');
    expect(dm.peerInboxId).toBe(ours.inboxId);
    const dmMembers = await lx.members(dm.conversationId);
    expect(dmMembers.map((m) => m.inboxId).sort()).toEqual([lxId.inboxId, ours.inboxId].sort());
    expect(dmMembers.find((m) => m.inboxId === ours.inboxId)?.installationIds).toEqual([ourInstallationHex]);

    const group = await lx.groupCreate(`kp-interop-${postQuantum ? 'pq' : 'classic'}`, [ours.inboxId]);
    expect(group.members.map((m) => m.inboxId).sort()).toEqual([lxId.inboxId, ours.inboxId].sort());
    expect(group.members.find((m) => m.inboxId === ours.inboxId)?.installationIds).toEqual([ourInstallationHex]);

    const welcomes = await welcomesFor(ours.installation.publicKey);
    expect(welcomes).toHaveLength(2);
    for (const w of welcomes) {
      expect(hex(w.installationKey)).toBe(ourInstallationHex);
      expect(w.wrapperAlgorithm).toBe(algorithm);
      expect(hex(w.hpkePublicKey)).toBe(hex(ours.kp.welcomeWrapper.publicKey));
      expect(decodeVector(w.data, 0)?.[0]).toHaveLength(kemOutput); // X-Wing encapsulation vs X25519 ephemeral key
      expect(w.welcomeMetadata.length).toBeGreaterThan(0);
    }

    // the returned secrets open and join what libxmtp sent: one welcome for the DM, one for the group
    const joined = await Promise.all(welcomes.map((w) => joinFromWelcome(ours, w)));
    expect(joined.sort()).toEqual([dm.conversationId, group.id].sort());
  });
});
