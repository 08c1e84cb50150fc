import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { describe, expect, test } from 'vitest';
import { hpkeDeriveKeyPair, hpkeGenerateKeyPair, hpkeSetupReceiver, hpkeSetupSender } from './hpke.js';

/** @hpke/core (RFC 9180 test-vector checked) with the same suite: the reference. */
const reference = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Chacha20Poly1305() });
const ab = (b: Uint8Array): ArrayBuffer => new Uint8Array(b).buffer;
const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
const INFOS = [new Uint8Array(0), new TextEncoder().encode('MLS 1.0 UpdatePathNode'), bytes(5000, 7)];

describe('hpke', () => {
  test('default: DeriveKeyPair gives @hpke/core’s keys', async () => {
    for (const ikm of [bytes(32), bytes(64, 9)]) {
      const ours = await hpkeDeriveKeyPair(ikm);
      const theirs = await reference.kem.deriveKeyPair(ab(ikm));
      expect(ours.privateKey).toEqual(new Uint8Array(await reference.kem.serializePrivateKey(theirs.privateKey)));
      expect(ours.publicKey).toEqual(new Uint8Array(await reference.kem.serializePublicKey(theirs.publicKey)));
    }
  });

  test.each(INFOS.map((info) => [info.length, info] as const))('default: with the same ephemeral key, byte-identical to @hpke/core (info of %i bytes): enc, two seals, exports', async (_, info) => {
    const recipient = await hpkeGenerateKeyPair();
    const ikmE = bytes(32, 3);
    const ours = await hpkeSetupSender(recipient.publicKey, info, await hpkeDeriveKeyPair(ikmE));
    const theirs = await reference.createSenderContext({ recipientPublicKey: await reference.kem.deserializePublicKey(ab(recipient.publicKey)), info: ab(info), ekm: ab(ikmE) });
    expect(ours.enc).toEqual(new Uint8Array(theirs.enc));
    const aad = bytes(9, 5);
    expect(ours.seal(bytes(100), aad)).toEqual(new Uint8Array(await theirs.seal(ab(bytes(100)), ab(aad))));
    expect(ours.seal(bytes(3000, 2))).toEqual(new Uint8Array(await theirs.seal(ab(bytes(3000, 2)))));
    expect(ours.export(bytes(7), 32)).toEqual(new Uint8Array(await theirs.export(ab(bytes(7)), 32)));
    expect(ours.export(new Uint8Array(0), 64)).toEqual(new Uint8Array(await theirs.export(new ArrayBuffer(0), 64)));
  });

  test('behavior: ours seals, @hpke/core opens; @hpke/core seals, ours opens (with or without the public key given)', async () => {
    const recipient = await hpkeGenerateKeyPair();
    const info = bytes(300, 4);
    const sender = await hpkeSetupSender(recipient.publicKey, info);
    const c0 = sender.seal(bytes(50));
    const c1 = sender.seal(bytes(60), bytes(4));
    const theirs = await reference.createRecipientContext({ recipientKey: await reference.kem.deserializePrivateKey(ab(recipient.privateKey)), enc: ab(sender.enc), info: ab(info) });
    expect(new Uint8Array(await theirs.open(ab(c0)))).toEqual(bytes(50));
    expect(new Uint8Array(await theirs.open(ab(c1), ab(bytes(4))))).toEqual(bytes(60));

    const theirSender = await reference.createSenderContext({ recipientPublicKey: await reference.kem.deserializePublicKey(ab(recipient.publicKey)), info: ab(info) });
    const t0 = new Uint8Array(await theirSender.seal(ab(bytes(10))));
    const t1 = new Uint8Array(await theirSender.seal(ab(bytes(20))));
    for (const publicKey of [undefined, recipient.publicKey]) {
      const ours = await hpkeSetupReceiver(recipient.privateKey, new Uint8Array(theirSender.enc), info, publicKey);
      expect(ours.open(t0)).toEqual(bytes(10));
      expect(ours.open(t1)).toEqual(bytes(20));
    }
  });

  test('error: a tampered ciphertext, wrong aad or wrong info does not open, and does not advance the sequence', async () => {
    const recipient = await hpkeGenerateKeyPair();
    const info = bytes(400, 8);
    const sender = await hpkeSetupSender(recipient.publicKey, info);
    const c0 = sender.seal(bytes(30), bytes(2));
    const receiver = await hpkeSetupReceiver(recipient.privateKey, sender.enc, info);
    const tampered = c0.slice();
    tampered[0]! ^= 1;
    expect(() => receiver.open(tampered, bytes(2))).toThrow();
    expect(() => receiver.open(c0, bytes(3))).toThrow();
    expect(receiver.open(c0, bytes(2))).toEqual(bytes(30));
    const otherInfo = bytes(400, 9); // same length as the remembered info, other bytes
    const wrong = await hpkeSetupReceiver(recipient.privateKey, sender.enc, otherInfo);
    expect(() => wrong.open(c0, bytes(2))).toThrow();
  });
});
