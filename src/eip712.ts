/**
 * EIP-712 typed data of MedChain's signed actions. Every `…WithSig` function has its type here, and the
 * domain of each contract is `{ name: "MedChain <Contract>", version: "1", chainId, verifyingContract }`.
 */
import type { TypedDataDomain, TypedDataField } from "ethers";

/** EIP-712 type definitions, as ethers' `signTypedData` takes them. */
export type TypedDataTypes = Record<string, TypedDataField[]>;

/** The EIP-712 domain of a MedChain contract. */
export function medchainDomain(contract: string, chainId: bigint, verifyingContract: string): TypedDataDomain {
  return { name: `MedChain ${contract}`, version: "1", chainId, verifyingContract };
}

/** IdentityRegistry: the registrar's attestation of a new patient identity. */
export const PatientAttestationTypes: TypedDataTypes = {
  PatientAttestation: [
    { name: "commitment", type: "bytes32" },
    { name: "controller", type: "address" },
    { name: "patientId", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** IdentityRegistry `setControllerWithSig`: add or remove an account acting for a patient. */
export const SetControllerTypes: TypedDataTypes = {
  SetController: [
    { name: "patientId", type: "uint256" },
    { name: "account", type: "address" },
    { name: "enabled", type: "bool" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** IdentityRegistry `rotateKeyWithSig`: the signing controller key is replaced by `newController`. */
export const RotateKeyTypes: TypedDataTypes = {
  RotateKey: [
    { name: "patientId", type: "uint256" },
    { name: "newController", type: "address" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** IdentityRegistry `setGuardianWithSig`: set a guardian until `validUntil` (0 removes it). */
export const SetGuardianTypes: TypedDataTypes = {
  SetGuardian: [
    { name: "patientId", type: "uint256" },
    { name: "guardian", type: "address" },
    { name: "validUntil", type: "uint64" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** IdentityRegistry `cancelRecoveryWithSig`: a controller or guardian cancels a pending recovery. */
export const CancelRecoveryTypes: TypedDataTypes = {
  CancelRecovery: [
    { name: "patientId", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/**
 * IdentityRegistry `setEncryptionKeyWithSig`: a patient's controller publishes its encryption public key
 * (compressed secp256k1: `prefix` 0x02/0x03 and `x`), relayed, so the patient needs no ether.
 */
export const SetEncryptionKeyTypes: TypedDataTypes = {
  SetEncryptionKey: [
    { name: "patientId", type: "uint256" },
    { name: "prefix", type: "bytes1" },
    { name: "x", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** The canonical `Name(type name,…)` string of a single-struct type set (its EIP-712 type string). */
export function typeString(types: TypedDataTypes): string {
  const [name] = Object.keys(types);
  return `${name}(${types[name].map((f) => `${f.type} ${f.name}`).join(",")})`;
}

/** ConsentManager: a patient's grant to an organisation (`grantWithSig`). */
export const ConsentGrantTypes: TypedDataTypes = {
  Grant: [
    { name: "patientId", type: "uint256" },
    { name: "granteeOrg", type: "uint256" },
    { name: "scopes", type: "uint32" },
    { name: "actions", type: "uint8" },
    { name: "purposes", type: "uint8" },
    { name: "notBefore", type: "uint64" },
    { name: "expiresAt", type: "uint64" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** ConsentManager: `revokeWithSig`. */
export const ConsentRevokeTypes: TypedDataTypes = {
  Revoke: [
    { name: "patientId", type: "uint256" },
    { name: "granteeOrg", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** ConsentManager: `setDenyMaskWithSig`. */
export const ConsentSetDenyMaskTypes: TypedDataTypes = {
  SetDenyMask: [
    { name: "patientId", type: "uint256" },
    { name: "denyMask", type: "uint32" },
    { name: "emergencyPolicy", type: "uint8" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** ConsentManager: the patient's early close of break-glass access (`closeEmergencyAccessWithSig`). */
export const ConsentCloseEmergencyAccessTypes: TypedDataTypes = {
  CloseEmergencyAccess: [
    { name: "accessId", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** RecordRegistry `anchorWithSig`: the patient anchors its own record (no custodian). */
export const RecordAnchorTypes: TypedDataTypes = {
  Anchor: [
    { name: "recordId", type: "bytes32" },
    { name: "patientId", type: "uint256" },
    { name: "category", type: "uint8" },
    { name: "contentHash", type: "bytes32" },
    { name: "locatorCommitment", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** RecordRegistry `supersedeWithSig`: the patient versions a record the patient anchored. */
export const RecordSupersedeTypes: TypedDataTypes = {
  Supersede: [
    { name: "oldRecordId", type: "bytes32" },
    { name: "newRecordId", type: "bytes32" },
    { name: "patientId", type: "uint256" },
    { name: "contentHash", type: "bytes32" },
    { name: "locatorCommitment", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** RecordRegistry `retractWithSig`: the patient's erasure of any record about itself. */
export const RecordRetractTypes: TypedDataTypes = {
  Retract: [
    { name: "recordId", type: "bytes32" },
    { name: "patientId", type: "uint256" },
    { name: "reasonHash", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** TrialRegistry: a patient's enrolment under a participant id, consenting to a protocol version. */
export const EnrolTypes: TypedDataTypes = {
  Enrol: [
    { name: "trialId", type: "bytes32" },
    { name: "patientId", type: "uint256" },
    { name: "salt", type: "bytes32" },
    { name: "protocolVersion", type: "uint32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** TrialRegistry: a participant's consent to an amended protocol version. */
export const ReconsentTypes: TypedDataTypes = {
  Reconsent: [
    { name: "trialId", type: "bytes32" },
    { name: "patientId", type: "uint256" },
    { name: "salt", type: "bytes32" },
    { name: "protocolVersion", type: "uint32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** TrialRegistry: a participant's withdrawal. */
export const WithdrawTypes: TypedDataTypes = {
  Withdraw: [
    { name: "trialId", type: "bytes32" },
    { name: "patientId", type: "uint256" },
    { name: "salt", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** ClaimEscrow: a policy's patient lets a provider organisation draw up to `cap` (set aside from its deposit). */
export const AuthorizeProviderTypes: TypedDataTypes = {
  AuthorizeProvider: [
    { name: "policyId", type: "uint256" },
    { name: "providerOrg", type: "uint256" },
    { name: "cap", type: "uint128" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** ClaimEscrow: a patient withdraws `amount` of its deposit to `to`. */
export const WithdrawDepositTypes: TypedDataTypes = {
  WithdrawDeposit: [
    { name: "patientId", type: "uint256" },
    { name: "amount", type: "uint128" },
    { name: "to", type: "address" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};
