/**
 * Identity helpers of the SDK: a patient's encryption public key published by signature (relayed, so the
 * patient's account holds no ether), and the check that an encryption key is not the account's signing
 * key (a key used for both would let a decryption oracle sign, and a leaked key would do both harms).
 */
import { computeAddress, getAddress, type Signer } from "ethers";

import { encryptionPublicKeyParts, normalizeEncryptionPublicKey } from "./crypto.ts";
import { SetEncryptionKeyTypes } from "./eip712.ts";
import { type Relayer, type SignableContract, type SignedAction, signPatientAction } from "./relayer.ts";

/** Thrown by {@link assertNotSigningKey}: the encryption key is the account's own signing key. */
export class SigningKeyReuseError extends Error {
  constructor(readonly account: string) {
    super(`the encryption key offered is the signing key of ${account}: use a separate key pair`);
    this.name = "SigningKeyReuseError";
  }
}

/**
 * Refuses an encryption public key equal to `account`'s signing key: the secp256k1 key whose address
 * `account` is (compressed or not, the same point). A smart account has no signing key of its own, so
 * any valid key passes for it. The IdentityRegistry refuses the same (`IdentityEncryptionKeyIsSigningKey`).
 * @throws SigningKeyReuseError when the two are the same key.
 * @throws RecordCryptoError `INVALID_KEY` when `encryptionPublicKey` is no point of the curve.
 */
export function assertNotSigningKey(encryptionPublicKey: string | Uint8Array, account: string): void {
  const compressed = normalizeEncryptionPublicKey(encryptionPublicKey);
  if (computeAddress(compressed) === getAddress(account)) throw new SigningKeyReuseError(getAddress(account));
}

/** The `setEncryptionKeyWithSig` message. */
export interface SetEncryptionKeyMessage extends Record<string, unknown> {
  patientId: bigint;
  prefix: string;
  x: string;
}

/** The IdentityRegistry as these helpers use it (its typed binding fits). */
export interface EncryptionKeyRegistry extends SignableContract {
  setEncryptionKeyWithSig(
    patientId: bigint,
    prefix: string,
    x: string,
    signer: string,
    deadline: bigint,
    signature: string,
  ): Promise<unknown>;
}

/**
 * The patient's controller `patientSigner` signs the publication of its encryption public key for
 * `patientId` (with the patient's current nonce and a deadline `ttlSeconds` ahead). Refuses the signer's
 * own signing key before anything is signed.
 */
export async function signSetEncryptionKey(
  identity: SignableContract,
  patientSigner: Signer,
  patientId: bigint,
  encryptionPublicKey: string | Uint8Array,
  ttlSeconds = 3600n,
): Promise<SignedAction<SetEncryptionKeyMessage>> {
  assertNotSigningKey(encryptionPublicKey, await patientSigner.getAddress());
  const { prefix, x } = encryptionPublicKeyParts(encryptionPublicKey);
  return signPatientAction<SetEncryptionKeyMessage>(
    identity,
    patientSigner,
    SetEncryptionKeyTypes,
    { patientId, prefix, x },
    ttlSeconds,
  );
}

/** Relays a signed `setEncryptionKeyWithSig` (the relayer pays the gas; a refusal throws decoded). */
export function relaySetEncryptionKey(
  relayer: Relayer,
  identity: EncryptionKeyRegistry,
  signed: SignedAction<SetEncryptionKeyMessage>,
) {
  const { patientId, prefix, x, deadline } = signed.message;
  return relayer.relay(identity, "setEncryptionKeyWithSig", [
    patientId,
    prefix,
    x,
    signed.signer,
    deadline,
    signed.signature,
  ]);
}
