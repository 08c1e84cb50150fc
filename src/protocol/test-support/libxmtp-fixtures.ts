/**
 * Test-only access to bytes captured from real libxmtp 1.10 clients (proto/fixtures/libxmtp-1.10.json,
 * see scripts/capture-libxmtp-fixtures.mjs). Node only.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SendGroupMessagesRequestSchema, UploadKeyPackageRequestSchema } from '../../gen/mls/api/v1/mls_pb.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

interface Fixture {
  requests: Record<string, { hex: string }>;
}

let cached: Fixture | undefined;
function fixture(): Fixture {
  cached ??= JSON.parse(readFileSync(path.join(ROOT, 'proto/fixtures/libxmtp-1.10.json'), 'utf8')) as Fixture;
  return cached;
}

export function libxmtpRequestBody(name: string): Uint8Array {
  const hex = fixture().requests[name]?.hex;
  if (!hex) throw new Error(`no captured request ${name}`);
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** A key package a real libxmtp 1.10 installation uploaded. */
export function libxmtpKeyPackage(): Uint8Array {
  return fromBinary(UploadKeyPackageRequestSchema, libxmtpRequestBody('UploadKeyPackage')).keyPackage!.keyPackageTlsSerialized;
}

/** MLS messages a real libxmtp 1.10 client sent: a commit and an application message. */
export function libxmtpGroupMessages(): { commit: Uint8Array; application: Uint8Array } {
  const first = (name: string) => {
    const m = fromBinary(SendGroupMessagesRequestSchema, libxmtpRequestBody(name)).messages[0]!;
    if (m.version.case !== 'v1') throw new Error('not a V1 group message');
    return m.version.value.data;
  };
  return { commit: first('SendGroupMessages(commit)'), application: first('SendGroupMessages(contentType 1)') };
}
