/**
 * XMTP's MLS extensions and capabilities, byte-compatible with libxmtp 1.10: the codepoints
 * (xmtp-wire.md §4.1), the encoders/decoders of the extensions whose bodies libxmtp parses, the leaf
 * capabilities every XMTP key package advertises and the RequiredCapabilities of every XMTP group
 * (§5.1). Pure; runs everywhere.
 *
 * Two wrapping rules (interop-findings T1, T2): the standard/OpenMLS extensions ApplicationId (0x0001)
 * and ImmutableMetadata (0xF000) are TLS structs `{ opaque data<V> }`, so their `extension_data` is a
 * varint length *followed by* the payload; ts-mls treats extension data as raw bytes, so the prefix is
 * added here. XMTP's private extensions (0xFF00–0xFF04) are the raw protobuf with no inner prefix.
 */
import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import type { Capabilities, CustomExtension, ExtensionApplicationId, RequiredCapabilities } from 'ts-mls';
import { makeCustomExtension } from 'ts-mls';
import { GroupMetadataV1Schema, type GroupMetadataV1 } from '../../gen/mls/message_contents/group_metadata_pb.js';
import {
  WelcomePointeeEncryptionAeadType,
  WelcomePointeeEncryptionAeadTypesExtensionSchema,
} from '../../gen/mls/message_contents/welcome_pointer_pb.js';
import { WelcomeWrapperAlgorithm, WelcomeWrapperEncryptionSchema } from '../../gen/mls/message_contents/wrapper_encryption_pb.js';
import { XmtpError } from '../errors.js';
import { XMTP_CIPHER_SUITE } from './key-package.js';
import { decodeVector, encodeVector } from './tls.js';

export { WelcomePointeeEncryptionAeadType, WelcomeWrapperAlgorithm };

export const XmtpExtensionErrorCodes = {
  invalidExtension: 'mls.invalid_extension',
  invalidKey: 'mls.invalid_key',
} as const;

/** MLS / OpenMLS / XMTP extension codepoints (`OM: extensions/mod.rs`, `LX: xmtp_configuration/src/common/metadata.rs`). */
export const XmtpExtensionTypes = {
  /** Leaf: the inbox id (`ApplicationIdExtension { opaque application_id<V> }`). */
  applicationId: 0x0001,
  /** GroupInfo: the ratchet tree (libxmtp always sends it in Welcomes). */
  ratchetTree: 0x0002,
  /** GroupContext: RequiredCapabilities. */
  requiredCapabilities: 0x0003,
  externalPub: 0x0004,
  /** Not used by XMTP. */
  externalSenders: 0x0005,
  /** mls-extensions draft AppDataDictionary; only libxmtp's "migrated" groups (after 1.10) use it. */
  appDataDictionary: 0x0006,
  /** KeyPackage: last resort (empty), the KP is reusable. */
  lastResort: 0x000a,
  /** GroupContext: OpenMLS `Metadata { opaque metadata<V> }` holding the XMTP GroupMetadataV1 protobuf. */
  immutableMetadata: 0xf000,
  /** GroupContext: GroupMutableMetadataV1 protobuf. */
  mutableMetadata: 0xff00,
  /** GroupContext: GroupMembership protobuf. */
  groupMembership: 0xff01,
  /** GroupContext: GroupMutablePermissionsV1 protobuf. */
  groupPermissions: 0xff02,
  /** KeyPackage: WelcomeWrapperEncryption protobuf (the post-quantum welcome-wrapper public key). */
  welcomeWrapperEncryption: 0xff03,
  /** KeyPackage: WelcomePointeeEncryptionAeadTypesExtension protobuf (accepts welcome pointers). */
  welcomePointeeEncryptionAeadTypes: 0xff04,
  /** Retired (libxmtp's test-only proposal-support flag); never reuse. */
  retiredProposalSupport: 0xff05,
} as const;

/** Proposal type codepoints (`OM: messages/proposals.rs`). */
export const XmtpProposalTypes = {
  groupContextExtensions: 0x0007,
  /** mls-extensions draft; advertised by libxmtp after 1.10, not by 1.10. */
  appDataUpdate: 0x0008,
  appEphemeral: 0x0009,
  selfRemove: 0x000a,
} as const;

export const MLS_10 = 1;
export const BASIC_CREDENTIAL_TYPE = 1;

/**
 * The leaf capabilities of an XMTP key package. Extensions are exactly those libxmtp 1.10 advertises,
 * in its wire order (interop-findings T13; captured 1.10 KP): every group-context extension XMTP
 * uses, the KP extensions, and ApplicationId. Proposals: GroupContextExtensions only.
 *
 * Deliberately NOT advertised: AppDataDictionary (0x0006) and AppDataUpdate (8). Later libxmtp reads
 * that advertisement as "all members can be migrated to the app-data path" and then commits a bootstrap
 * that replaces the XMTP extensions and sends AppDataUpdate proposals — which this client cannot process.
 * No GREASE either (libxmtp sends none; ts-mls's defaultCapabilities would add random values).
 */
export function xmtpLeafCapabilities(): Capabilities {
  return {
    versions: [MLS_10],
    ciphersuites: [XMTP_CIPHER_SUITE],
    extensions: [
      XmtpExtensionTypes.lastResort,
      XmtpExtensionTypes.applicationId,
      XmtpExtensionTypes.groupPermissions,
      XmtpExtensionTypes.mutableMetadata,
      XmtpExtensionTypes.groupMembership,
      XmtpExtensionTypes.welcomeWrapperEncryption,
      XmtpExtensionTypes.welcomePointeeEncryptionAeadTypes,
      XmtpExtensionTypes.immutableMetadata,
    ],
    proposals: [XmtpProposalTypes.groupContextExtensions],
    credentials: [BASIC_CREDENTIAL_TYPE],
  };
}

/** The RequiredCapabilities (0x0003) libxmtp puts in every group it creates (§5.1, T14), same order. */
export function xmtpGroupRequiredCapabilities(): RequiredCapabilities {
  return {
    extensionTypes: [
      XmtpExtensionTypes.groupMembership,
      XmtpExtensionTypes.mutableMetadata,
      XmtpExtensionTypes.groupPermissions,
      XmtpExtensionTypes.immutableMetadata,
      XmtpExtensionTypes.lastResort,
      XmtpExtensionTypes.applicationId,
    ],
    proposalTypes: [XmtpProposalTypes.groupContextExtensions],
    credentialTypes: [BASIC_CREDENTIAL_TYPE],
  };
}

/** Whether `capabilities` cover everything `required` lists (the check an MLS Add makes on the new leaf). */
export function capabilitiesSatisfy(capabilities: Capabilities, required: RequiredCapabilities): boolean {
  const has = (list: readonly number[], v: number) => list.includes(v);
  return (
    required.extensionTypes.every((t) => has(capabilities.extensions, t) || isDefaultExtensionType(t)) &&
    required.proposalTypes.every((t) => has(capabilities.proposals, t) || isDefaultProposalType(t)) &&
    required.credentialTypes.every((t) => has(capabilities.credentials, t))
  );
}

// RFC 9420 §7.2: default extensions/proposals are supported implicitly (need not be listed).
const isDefaultExtensionType = (t: number): boolean => t >= 1 && t <= 5;
const isDefaultProposalType = (t: number): boolean => t >= 1 && t <= 7;

function invalid(what: string, why: string): XmtpError {
  return new XmtpError(XmtpExtensionErrorCodes.invalidExtension, `Invalid ${what} extension: ${why}`);
}

/** Reads exactly one `opaque<V>` filling the whole of `data`. */
function unwrapVector(data: Uint8Array, what: string): Uint8Array {
  const read = decodeVector(data, 0);
  if (!read) throw invalid(what, 'malformed length prefix');
  if (read[1] !== data.length) throw invalid(what, `${data.length - read[1]} trailing bytes`);
  return read[0];
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

// ---------- 0x0001 ApplicationId (leaf) ----------

/** `extension_data` of the leaf ApplicationId: varint length ‖ UTF-8 inbox id (`0x40 0x40` ‖ 64 ASCII). */
export function encodeApplicationId(inboxId: string): Uint8Array {
  return encodeVector(utf8.encode(inboxId));
}

/** The inbox id in a leaf ApplicationId `extension_data`. */
export function decodeApplicationId(extensionData: Uint8Array): string {
  const bytes = unwrapVector(extensionData, 'ApplicationId');
  try {
    return utf8Strict.decode(bytes);
  } catch {
    throw invalid('ApplicationId', 'not UTF-8');
  }
}

/** The leaf-node extension libxmtp puts in every key package. */
export function applicationIdExtension(inboxId: string): ExtensionApplicationId {
  return { extensionType: XmtpExtensionTypes.applicationId, extensionData: encodeApplicationId(inboxId) };
}

// ---------- 0xF000 ImmutableMetadata (group context) ----------

export type GroupMetadataInit = MessageInitShape<typeof GroupMetadataV1Schema>;

/** `extension_data` of 0xF000: varint length ‖ GroupMetadataV1 protobuf. */
export function encodeImmutableMetadata(metadata: GroupMetadataInit): Uint8Array {
  return encodeVector(toBinary(GroupMetadataV1Schema, create(GroupMetadataV1Schema, metadata)));
}

export function decodeImmutableMetadata(extensionData: Uint8Array): GroupMetadataV1 {
  const bytes = unwrapVector(extensionData, 'ImmutableMetadata');
  try {
    return fromBinary(GroupMetadataV1Schema, bytes);
  } catch (cause) {
    throw new XmtpError(XmtpExtensionErrorCodes.invalidExtension, 'Invalid ImmutableMetadata extension: not a GroupMetadataV1', { cause });
  }
}

export function immutableMetadataExtension(metadata: GroupMetadataInit): CustomExtension {
  return makeCustomExtension({ extensionType: XmtpExtensionTypes.immutableMetadata, extensionData: encodeImmutableMetadata(metadata) });
}

// ---------- 0x000A last resort (key package) ----------

export function lastResortExtension(): CustomExtension {
  return makeCustomExtension({ extensionType: XmtpExtensionTypes.lastResort, extensionData: new Uint8Array(0) });
}

// ---------- 0xFF03 WelcomeWrapperEncryption (key package) ----------

/** The X-Wing (draft-06) public key size: ML-KEM-768 encapsulation key (1184) ‖ X25519 (32). */
export const XWING_PUBLIC_KEY_LENGTH = 1216;

export interface WelcomeWrapperEncryptionInfo {
  readonly pubKey: Uint8Array;
  /** CURVE25519 or XWING_MLKEM_768_DRAFT_6 (normalised as libxmtp reads it). */
  readonly algorithm: WelcomeWrapperAlgorithm.CURVE25519 | WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6;
}

/** `extension_data` of 0xFF03: the raw WelcomeWrapperEncryption protobuf. */
export function encodeWelcomeWrapperEncryption(info: WelcomeWrapperEncryptionInfo): Uint8Array {
  return toBinary(WelcomeWrapperEncryptionSchema, create(WelcomeWrapperEncryptionSchema, { pubKey: info.pubKey, algorithm: info.algorithm }));
}

/**
 * Reads 0xFF03 as libxmtp does (`WrapperEncryptionExtension::try_from(&[u8])`): UNSPECIFIED, CURVE25519
 * and unknown values mean Curve25519, 2 means X-Wing, SYMMETRIC_KEY is an error.
 */
export function decodeWelcomeWrapperEncryption(extensionData: Uint8Array): WelcomeWrapperEncryptionInfo {
  let decoded: { pubKey: Uint8Array; algorithm: number };
  try {
    decoded = fromBinary(WelcomeWrapperEncryptionSchema, extensionData);
  } catch (cause) {
    throw new XmtpError(XmtpExtensionErrorCodes.invalidExtension, 'Invalid WelcomeWrapperEncryption extension: not a protobuf', { cause });
  }
  if (decoded.algorithm === WelcomeWrapperAlgorithm.SYMMETRIC_KEY) throw invalid('WelcomeWrapperEncryption', 'SYMMETRIC_KEY is not a wrapper algorithm for a key package');
  const algorithm = decoded.algorithm === WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6 ? WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6 : WelcomeWrapperAlgorithm.CURVE25519;
  return { pubKey: decoded.pubKey, algorithm };
}

/** 0xFF03 announcing an X-Wing (ML-KEM-768 draft 6) welcome-wrapper public key, as libxmtp builds it. */
export function welcomeWrapperEncryptionExtension(xwingPublicKey: Uint8Array): CustomExtension {
  if (xwingPublicKey.length !== XWING_PUBLIC_KEY_LENGTH) {
    throw new XmtpError(XmtpExtensionErrorCodes.invalidKey, `X-Wing public key must be ${XWING_PUBLIC_KEY_LENGTH} bytes, got ${xwingPublicKey.length}`);
  }
  return makeCustomExtension({
    extensionType: XmtpExtensionTypes.welcomeWrapperEncryption,
    extensionData: encodeWelcomeWrapperEncryption({ pubKey: xwingPublicKey, algorithm: WelcomeWrapperAlgorithm.XWING_MLKEM_768_DRAFT_6 }),
  });
}

// ---------- 0xFF04 WelcomePointeeEncryptionAeadTypesExtension (key package) ----------

/** `extension_data` of 0xFF04: the raw protobuf (packed repeated enum; libxmtp's is `0a 01 03`). */
export function encodeWelcomePointeeAeadTypes(types: readonly WelcomePointeeEncryptionAeadType[]): Uint8Array {
  return toBinary(WelcomePointeeEncryptionAeadTypesExtensionSchema, create(WelcomePointeeEncryptionAeadTypesExtensionSchema, { supportedAeadTypes: [...types] }));
}

/** Reads 0xFF04 strictly, as libxmtp does when it turns a KP into a welcome recipient (any unknown type is an error). */
export function decodeWelcomePointeeAeadTypes(extensionData: Uint8Array): WelcomePointeeEncryptionAeadType[] {
  let types: number[];
  try {
    types = fromBinary(WelcomePointeeEncryptionAeadTypesExtensionSchema, extensionData).supportedAeadTypes;
  } catch (cause) {
    throw new XmtpError(XmtpExtensionErrorCodes.invalidExtension, 'Invalid WelcomePointeeEncryptionAeadTypes extension: not a protobuf', { cause });
  }
  for (const t of types) {
    if (t !== WelcomePointeeEncryptionAeadType.CHACHA20_POLY1305) throw invalid('WelcomePointeeEncryptionAeadTypes', `unsupported AEAD type ${t}`);
  }
  return types as WelcomePointeeEncryptionAeadType[];
}

/** 0xFF04 with [CHACHA20_POLY1305], as libxmtp builds it: this installation accepts welcome pointers. */
export function welcomePointeeAeadTypesExtension(): CustomExtension {
  return makeCustomExtension({
    extensionType: XmtpExtensionTypes.welcomePointeeEncryptionAeadTypes,
    extensionData: encodeWelcomePointeeAeadTypes([WelcomePointeeEncryptionAeadType.CHACHA20_POLY1305]),
  });
}
