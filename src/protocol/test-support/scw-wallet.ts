/**
 * A minimal ERC-1271 smart-contract wallet and a CREATE2 factory for it, compiled with npm `solc`
 * (once per test run) and deployed on a LocalEvm. Node only; test support.
 *
 * TestWallet: one owner EOA; `isValidSignature(hash, sig)` returns the ERC-1271 magic value iff
 * `ecrecover(hash, sig) == owner` (65-byte r||s||v, the raw hash, no extra prefix); the owner can
 * hand the wallet to another owner. TestWalletFactory: `deploy(owner, salt)` creates the wallet
 * with CREATE2 (idempotent), `predict(owner, salt)` gives its address before it exists; this is what
 * an ERC-6492 wrapper points at for a counterfactual wallet.
 */
import solc from 'solc';
import {
  encodeDeployData,
  encodeFunctionData,
  getContractAddress,
  keccak256,
  serializeErc6492Signature,
  toHex,
  encodeAbiParameters,
  concatHex,
  hexToBytes,
  type Abi,
  type Hex,
} from 'viem';
import type { LocalAccount } from 'viem/accounts';
import type { LocalEvm } from './local-evm.js';

export const TEST_WALLET_SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

contract TestWallet {
    address public owner;

    constructor(address initialOwner) {
        owner = initialOwner;
    }

    function setOwner(address newOwner) external {
        require(msg.sender == owner, "TestWallet: not the owner");
        owner = newOwner;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        if (signature.length != 65) return 0xffffffff;
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        address signer = ecrecover(hash, v, r, s);
        if (signer != address(0) && signer == owner) return 0x1626ba7e;
        return 0xffffffff;
    }
}

contract TestWalletFactory {
    function deploy(address owner, bytes32 salt) external returns (address wallet) {
        wallet = predict(owner, salt);
        if (wallet.code.length == 0) {
            new TestWallet{salt: salt}(owner);
        }
    }

    function predict(address owner, bytes32 salt) public view returns (address) {
        bytes32 initCodeHash = keccak256(abi.encodePacked(type(TestWallet).creationCode, abi.encode(owner)));
        return address(uint160(uint256(keccak256(abi.encodePacked(bytes1(0xff), address(this), salt, initCodeHash)))));
    }
}
`;

export interface CompiledContract {
  readonly abi: Abi;
  readonly bytecode: Hex;
}

export interface CompiledTestWallet {
  readonly wallet: CompiledContract;
  readonly factory: CompiledContract;
  /** Milliseconds spent loading solc and compiling (0 when cached). */
  readonly compileMs: number;
}

let compiled: CompiledTestWallet | undefined;

/** Compiles TestWallet and TestWalletFactory (Prague, no optimizer); cached for the process. */
export function compileTestWallet(): CompiledTestWallet {
  if (compiled) return { ...compiled, compileMs: 0 };
  const started = performance.now();
  const input = {
    language: 'Solidity',
    sources: { 'TestWallet.sol': { content: TEST_WALLET_SOURCE } },
    settings: { evmVersion: 'prague', outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(`solc: ${errors.map((e) => e.formattedMessage).join('\n')}`);
  const pick = (name: string): CompiledContract => {
    const c = output.contracts?.['TestWallet.sol']?.[name];
    if (!c) throw new Error(`solc: no output for ${name}`);
    return { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
  };
  compiled = { wallet: pick('TestWallet'), factory: pick('TestWalletFactory'), compileMs: performance.now() - started };
  return compiled;
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
}

/** Deploys a TestWallet owned by `owner`; returns its address and the block it was created in. */
export async function deployTestWallet(evm: LocalEvm, owner: Hex): Promise<{ address: Hex; blockNumber: bigint }> {
  const { wallet } = compileTestWallet();
  return evm.deploy(encodeDeployData({ abi: wallet.abi, bytecode: wallet.bytecode, args: [owner] }));
}

/** Deploys a TestWalletFactory. */
export async function deployTestWalletFactory(evm: LocalEvm): Promise<Hex> {
  const { factory } = compileTestWallet();
  return (await evm.deploy(factory.bytecode)).address;
}

/** Runs `factory.deploy(owner, salt)` in a new block; returns the wallet address. */
export async function deployTestWalletViaFactory(evm: LocalEvm, factory: Hex, owner: Hex, salt: Hex): Promise<Hex> {
  const { factory: f } = compileTestWallet();
  await evm.send({ from: owner, to: factory, data: encodeFunctionData({ abi: f.abi, functionName: 'deploy', args: [owner, salt] }) });
  return counterfactualWalletAddress(factory, owner, salt);
}

/** Hands a deployed TestWallet to `newOwner` (sent by the current owner). */
export async function setTestWalletOwner(evm: LocalEvm, wallet: Hex, currentOwner: Hex, newOwner: Hex): Promise<bigint> {
  const { wallet: w } = compileTestWallet();
  const { blockNumber } = await evm.send({
    from: currentOwner,
    to: wallet,
    data: encodeFunctionData({ abi: w.abi, functionName: 'setOwner', args: [newOwner] }),
  });
  return blockNumber;
}

/** The address `factory.deploy(owner, salt)` will create (computed locally, as CREATE2 does). */
export function counterfactualWalletAddress(factory: Hex, owner: Hex, salt: Hex): Hex {
  const { wallet } = compileTestWallet();
  return getContractAddress({
    opcode: 'CREATE2',
    from: factory,
    salt,
    bytecodeHash: keccak256(concatHex([wallet.bytecode, encodeAbiParameters([{ type: 'address' }], [owner])])),
  });
}

/** `owner`'s signature for a TestWallet: the raw 32-byte hash signed as is, r||s||v. */
export async function signForTestWallet(owner: LocalAccount, hash: Uint8Array): Promise<Uint8Array> {
  if (!owner.sign) throw new Error('the owner account cannot sign raw hashes');
  const sig = await owner.sign({ hash: toHex(hash) });
  return hexToBytes(sig);
}

/** Wraps a TestWallet signature as ERC-6492 for a wallet the factory has not deployed yet. */
export function wrapErc6492(factory: Hex, owner: Hex, salt: Hex, signature: Uint8Array): Uint8Array {
  const { factory: f } = compileTestWallet();
  return hexToBytes(
    serializeErc6492Signature({
      address: factory,
      data: encodeFunctionData({ abi: f.abi, functionName: 'deploy', args: [owner, salt] }),
      signature: toHex(signature),
    }),
  );
}
