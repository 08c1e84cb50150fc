import { describe, expect, test } from 'vitest';
import { getInstallationIds } from '../identity/association-state.js';
import { getAssociationState } from '../identity/get-association-state.js';
import type { RecoverablePasskeySignature } from '../../gen/identity/associations/signature_pb.js';
import { buildRegistration, buildUpdate, fakePasskeyVerifier, inboxIdFor, newInstallation, newPasskeySigner } from '../test-support/identity-builder.js';
import { associationStateAt, type InboxLog } from './inbox-log.js';

describe('associationStateAt', () => {
  test('behavior: equals folding the whole log, verifies each update once, and resumes from what it verified', async () => {
    const passkey = newPasskeySigner();
    const inboxId = inboxIdFor(passkey);
    const updates = [await buildRegistration(passkey, newInstallation())];
    for (let i = 0; i < 3; i++) updates.push(await buildUpdate({ inboxId, actions: [{ kind: 'add', existing: passkey, newMember: newInstallation() }] }));
    let verifications = 0;
    const deps = {
      verifyPasskey: (s: RecoverablePasskeySignature, text: string) => {
        verifications += 1;
        return fakePasskeyVerifier(s, text);
      },
    };
    const log = (n: number): InboxLog => ({
      inboxId,
      entries: updates.slice(0, n).map((update, i) => ({ sequenceId: BigInt(10 * (i + 1)), update })),
      latestSequenceId: BigInt(10 * n),
    });

    const atTwo = await associationStateAt(log(2), undefined, deps);
    expect(verifications).toBe(2);
    expect(getInstallationIds(atTwo)).toHaveLength(2);
    const full = await associationStateAt(log(4), undefined, deps);
    expect(verifications).toBe(4); // only the two new updates
    expect(full).toEqual(await getAssociationState(updates, { verifyPasskey: fakePasskeyVerifier }));
    await associationStateAt(log(4), 30n, deps); // a cached prefix
    expect(verifications).toBe(4);
  });
});
