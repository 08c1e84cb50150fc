/**
 * `xmtp.identity.api.v1.IdentityApi` for the local node. Node only.
 *
 * PublishIdentityUpdate checks the update's structure, then applies it with the identity reducer on
 * top of the inbox's stored log (every signature verified, every association-state rule checked),
 * refuses a log that already holds 256 entries, and keeps the identifier → inbox index from the
 * state diff. Validation happens outside the write lock; the store refuses the append if the log
 * moved on meanwhile, and the update is then checked again against the new log.
 */
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import type { IdentityApi } from '../../src/gen/identity/api/v1/identity_pb.js';
import { IdentifierKind, IdentityUpdateSchema, type IdentityUpdate } from '../../src/gen/identity/associations/association_pb.js';
import type { SmartContractWalletVerifier } from '../../src/protocol/identity/signature-types.js';
import { createChainRpcVerifier } from '../../src/protocol/identity/smart-contract-wallet.js';
import { checkUpdateStructure } from '../../src/protocol/identity/update-structure.js';
import { IdentityLogConflictError, InboxLogFullError, MAX_INBOX_LOG_ENTRIES, type IdentityUpdateRow, type Store } from '../store/store.js';
import { invalidArgument, withErrorMapping } from './errors.js';
import { IdentityVerifier } from './identity-verifier.js';

export const IDENTITY_LIMITS = {
  inboxesPerQuery: 1000,
  identifiersPerQuery: 1000,
  conflictRetries: 5,
  scwSignaturesPerRequest: 100,
  /** ERC-6492 wrappers carry the factory calldata; passkey-owned wallets carry WebAuthn data. */
  scwSignatureBytes: 64 * 1024,
  /** Chain RPC calls in flight per request. */
  scwConcurrency: 8,
} as const;

export interface IdentityApiDeps {
  readonly store: Store;
  /**
   * Answers VerifySmartContractWalletSignatures (ERC-1271 / ERC-6492 against chain RPCs). Without
   * one, every signature is answered is_valid=false, "no chain RPC configured for chain N".
   */
  readonly scwVerifier?: SmartContractWalletVerifier;
}

/** Used when the node has no chain RPC: knows no chain, so says so for each signature. */
const NO_CHAINS = createChainRpcVerifier({ chains: {} });

export function createIdentityApi(deps: IdentityApiDeps): Partial<ServiceImpl<typeof IdentityApi>> {
  const verifier = new IdentityVerifier({ smartContractWallet: deps.scwVerifier ?? NO_CHAINS });
  const impl: Partial<ServiceImpl<typeof IdentityApi>> = {
    async publishIdentityUpdate(req) {
      const update = req.identityUpdate;
      if (!update) throw invalidArgument('missing identity update');
      const bytes = toBinary(IdentityUpdateSchema, update);
      for (let attempt = 0; ; attempt++) {
        const log = await deps.store.getIdentityUpdates(update.inboxId, 0n);
        if (log.length >= MAX_INBOX_LOG_ENTRIES) throw inboxLogFull(update.inboxId);
        checkUpdateStructure(update, log.length === 0);
        const lastSequenceId = log.at(-1)?.sequenceId ?? 0n;
        const { state, addressChanges } = await verifier.verify(update.inboxId, { lastSequenceId, updates: log.map(decodeUpdate) }, update);
        try {
          const stored = await deps.store.publishIdentityUpdate({
            inboxId: update.inboxId,
            update: bytes,
            expectedLastSequenceId: lastSequenceId,
            addressChanges,
          });
          verifier.remember(update.inboxId, stored.sequenceId, state);
          return {};
        } catch (e) {
          if (e instanceof InboxLogFullError) throw inboxLogFull(update.inboxId);
          if (e instanceof IdentityLogConflictError && attempt < IDENTITY_LIMITS.conflictRetries) continue;
          throw e;
        }
      }
    },

    async getIdentityUpdates(req) {
      if (req.requests.length > IDENTITY_LIMITS.inboxesPerQuery) {
        throw invalidArgument(`too many inboxes: ${req.requests.length} (at most ${IDENTITY_LIMITS.inboxesPerQuery})`);
      }
      const responses = [];
      for (const r of req.requests) {
        const rows = await deps.store.getIdentityUpdates(r.inboxId, r.sequenceId);
        responses.push({ inboxId: r.inboxId, updates: rows.map(toLog) });
      }
      return { responses };
    },

    async getInboxIds(req) {
      if (req.requests.length > IDENTITY_LIMITS.identifiersPerQuery) {
        throw invalidArgument(`too many identifiers: ${req.requests.length} (at most ${IDENTITY_LIMITS.identifiersPerQuery})`);
      }
      const found = await deps.store.getInboxIdsByAddress(req.requests.map((r) => r.identifier.toLowerCase()));
      return {
        responses: req.requests.map((r, i) => ({
          identifier: r.identifier,
          identifierKind: r.identifierKind === IdentifierKind.UNSPECIFIED ? IdentifierKind.ETHEREUM : r.identifierKind,
          inboxId: found[i],
        })),
      };
    },

    async verifySmartContractWalletSignatures(req) {
      const { signatures } = req;
      if (signatures.length > IDENTITY_LIMITS.scwSignaturesPerRequest) {
        throw invalidArgument(`too many signatures: ${signatures.length} (at most ${IDENTITY_LIMITS.scwSignaturesPerRequest})`);
      }
      signatures.forEach((s, i) => {
        if (s.hash.length !== 32) {
          throw invalidArgument(`signatures[${i}]: hash must be the 32-byte EIP-191 digest, got ${s.hash.length} bytes`);
        }
        if (s.signature.length > IDENTITY_LIMITS.scwSignatureBytes) {
          throw invalidArgument(`signatures[${i}]: signature is ${s.signature.length} bytes (at most ${IDENTITY_LIMITS.scwSignatureBytes})`);
        }
      });
      const verifier = deps.scwVerifier ?? NO_CHAINS;
      // One response per signature, in order: libxmtp takes the first response as the answer.
      const responses = await mapWithConcurrency(signatures, IDENTITY_LIMITS.scwConcurrency, async (s) => {
        try {
          const r = await verifier.verify({
            accountId: s.accountId,
            hash: s.hash,
            signature: s.signature,
            ...(s.blockNumber === undefined ? {} : { blockNumber: s.blockNumber }),
          });
          return { isValid: r.isValid, blockNumber: r.blockNumber, error: r.error };
        } catch (e) {
          console.error('node: smart-contract wallet verifier failed', e);
          return { isValid: false, error: `verification failed: ${(e as Error).message}` };
        }
      });
      return { responses };
    },
  };
  return withErrorMapping(impl);
}

function inboxLogFull(inboxId: string): ConnectError {
  return new ConnectError(`inbox log is full: inbox ${inboxId} already has ${MAX_INBOX_LOG_ENTRIES} identity updates`, Code.ResourceExhausted);
}

function decodeUpdate(row: IdentityUpdateRow): IdentityUpdate {
  return fromBinary(IdentityUpdateSchema, row.update);
}

function toLog(row: IdentityUpdateRow) {
  return { sequenceId: row.sequenceId, serverTimestampNs: row.serverTimestampNs, update: decodeUpdate(row) };
}

async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
