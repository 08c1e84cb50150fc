/**
 * XMTP key packages: parse and verify one as xmtp-node-go's validation service and libxmtp do
 * before accepting or using it. Pure; runs everywhere (the node, the client).
 *
 * Checks: a complete, canonical TLS KeyPackage (decoded with ts-mls, every byte consumed); MLS 1.0;
 * XMTP's cipher suite 0x0003; a key-package leaf with a Basic credential whose identity is the
 * protobuf `xmtp.identity.MlsCredential` holding a 64-hex inbox id; init key != encryption key;
 * a leaf ApplicationId, if any, that is a well-formed `opaque<V>`; an empty last_resort, if any;
 * both signatures (KeyPackageTBS and LeafNodeTBS, RFC 9420 SignWithLabel, Ed25519) valid under the
 * leaf's signature key; and, unless skipped, now within the lifetime. The installation id is the
 * leaf's signature key. `verifyKeyPackage` checks the signatures synchronously (noble, for the
 * node's validation); `verifyKeyPackageAsync` makes the same checks with the platform's Ed25519
 * (WebCrypto when it has it, `ed25519.ts`), much faster on the client.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { ed25519 } from '@noble/curves/ed25519.js';
import { encode, keyPackageDecoder, keyPackageEncoder, protocolVersions, type KeyPackage } from 'ts-mls';
import { MlsCredentialSchema } from '../../gen/identity/credential_pb.js';
import { XmtpError } from '../errors.js';
import { ed25519Verify } from './ed25519.js';
import { MlsErrorCodes } from './framing.js';
import { bytesEqual, decodeVector, signContent, varintSize } from './tls.js';

/** MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519, the only suite XMTP groups use. */
export const XMTP_CIPHER_SUITE = 0x0003;
const BASIC_CREDENTIAL = 1;
const APPLICATION_ID = 0x0001;
const LAST_RESORT = 0x000a;

export interface ParsedKeyPackage {
  /** The installation id: the leaf's Ed25519 signature key (32 bytes). */
  readonly installationKey: Uint8Array;
  readonly inboxId: string;
  readonly initKey: Uint8Array;
  readonly notBefore: bigint;
  readonly notAfter: bigint;
  readonly keyPackage: KeyPackage;
}

export interface VerifyKeyPackageOptions {
  /** Unix seconds to check the lifetime against. */
  readonly nowSeconds: number;
  /** Welcomes are joined without lifetime checks (libxmtp's `skip_lifetime_validation`). */
  readonly skipLifetime?: boolean;
}

function invalid(message: string): XmtpError {
  return new XmtpError(MlsErrorCodes.invalidKeyPackage, `Invalid key package: ${message}`);
}

/** Decodes and structurally checks a TLS-serialized KeyPackage (no signature or lifetime check). */
export function parseKeyPackage(bytes: Uint8Array): ParsedKeyPackage {
  if (bytes.length === 0) throw invalid('empty');
  let decoded: ReturnType<typeof keyPackageDecoder>;
  try {
    decoded = keyPackageDecoder(bytes, 0);
  } catch {
    decoded = undefined;
  }
  if (!decoded) throw invalid('malformed TLS structure');
  const [kp, end] = decoded;
  if (end !== bytes.length) throw invalid(`${bytes.length - end} trailing bytes`);
  if (kp.version !== protocolVersions.mls10) throw invalid(`unsupported protocol version ${kp.version}`);
  if (kp.cipherSuite !== XMTP_CIPHER_SUITE) throw invalid(`cipher suite ${kp.cipherSuite}, expected ${XMTP_CIPHER_SUITE}`);
  const leaf = kp.leafNode;
  if (leaf.signaturePublicKey.length !== 32) throw invalid('signature key is not an Ed25519 public key');
  if (bytesEqual(kp.initKey, leaf.hpkePublicKey)) throw invalid('init key equals the leaf encryption key');
  if (leaf.credential.credentialType !== BASIC_CREDENTIAL || !('identity' in leaf.credential)) {
    throw invalid('credential is not a Basic credential');
  }
  let inboxId: string;
  try {
    inboxId = fromBinary(MlsCredentialSchema, leaf.credential.identity).inboxId;
  } catch {
    throw invalid('credential identity is not an MlsCredential');
  }
  if (!/^[0-9a-f]{64}$/.test(inboxId)) throw invalid('credential inbox id is not 64 lowercase hex characters');
  // Extensions OpenMLS parses by type (so libxmtp and node-go refuse the KP when they do not parse):
  // the leaf ApplicationId is `opaque application_id<V>` (interop-findings T1), last_resort is empty.
  for (const ext of leaf.extensions) {
    if (ext.extensionType === APPLICATION_ID && decodeVector(ext.extensionData)?.[1] !== ext.extensionData.length) {
      throw invalid('leaf application_id is not an opaque<V> (missing its inner length prefix?)');
    }
  }
  for (const ext of kp.extensions) {
    if (ext.extensionType === LAST_RESORT && ext.extensionData.length !== 0) throw invalid('last_resort extension is not empty');
  }
  return {
    installationKey: leaf.signaturePublicKey,
    inboxId,
    initKey: kp.initKey,
    notBefore: leaf.lifetime.notBefore,
    notAfter: leaf.lifetime.notAfter,
    keyPackage: kp,
  };
}

/** A parsed key package with the two RFC 9420 SignWithLabel contents its signatures cover. */
interface SignedKeyPackage {
  readonly parsed: ParsedKeyPackage;
  /** Leaf node first (checked first), then the key package. */
  readonly checks: readonly { readonly signature: Uint8Array; readonly content: Uint8Array; readonly failure: string }[];
}

function signedParts(bytes: Uint8Array): SignedKeyPackage {
  const parsed = parseKeyPackage(bytes);
  const kp = parsed.keyPackage;

  // Canonical re-encoding must give the same bytes; the signed parts are then byte ranges of it.
  const full = encode(keyPackageEncoder, kp);
  if (!bytesEqual(full, bytes)) throw invalid('not canonically encoded');
  const kpSignatureField = varintSize(kp.signature.length) + kp.signature.length;
  const withoutExtensions = encode(keyPackageEncoder, { ...kp, extensions: [] });
  const kpExtensionsField = full.length - withoutExtensions.length + 1; // an empty vector is 1 byte
  const leafStart = 4 + varintSize(kp.initKey.length) + kp.initKey.length;
  const leafEnd = full.length - kpSignatureField - kpExtensionsField;
  const leafSignatureField = varintSize(kp.leafNode.signature.length) + kp.leafNode.signature.length;

  const leafTbs = full.subarray(leafStart, leafEnd - leafSignatureField);
  const kpTbs = full.subarray(0, full.length - kpSignatureField);
  return {
    parsed,
    checks: [
      { signature: kp.leafNode.signature, content: signContent('LeafNodeTBS', leafTbs), failure: 'leaf node signature does not verify' },
      { signature: kp.signature, content: signContent('KeyPackageTBS', kpTbs), failure: 'key package signature does not verify' },
    ],
  };
}

function checkLifetime(parsed: ParsedKeyPackage, options: VerifyKeyPackageOptions): void {
  if (options.skipLifetime) return;
  const now = BigInt(Math.floor(options.nowSeconds));
  if (now < parsed.notBefore) throw invalid(`not valid before ${parsed.notBefore} (now ${now})`);
  if (now > parsed.notAfter) throw invalid(`expired at ${parsed.notAfter} (now ${now})`);
}

/** parseKeyPackage, then both signatures (noble, synchronously) and (unless skipped) the lifetime. */
export function verifyKeyPackage(bytes: Uint8Array, options: VerifyKeyPackageOptions): ParsedKeyPackage {
  const { parsed, checks } = signedParts(bytes);
  for (const check of checks) {
    if (!verifyEd25519Sync(check.signature, check.content, parsed.installationKey)) throw invalid(check.failure);
  }
  checkLifetime(parsed, options);
  return parsed;
}

/**
 * The same checks as `verifyKeyPackage`, in the same order and with the same errors, with the two
 * signatures verified together on the platform's Ed25519 (`ed25519.ts`: WebCrypto, else noble).
 */
export async function verifyKeyPackageAsync(bytes: Uint8Array, options: VerifyKeyPackageOptions): Promise<ParsedKeyPackage> {
  const { parsed, checks } = signedParts(bytes);
  const valid = await Promise.all(checks.map((check) => ed25519Verify(parsed.installationKey, check.content, check.signature)));
  checks.forEach((check, i) => {
    if (!valid[i]) throw invalid(check.failure);
  });
  checkLifetime(parsed, options);
  return parsed;
}

function verifyEd25519Sync(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  try {
    return ed25519.verify(signature, message, publicKey);
  } catch {
    return false;
  }
}
