// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title TrialHashes
/// @notice The ids and hashes of the TrialRegistry. Each has a TypeScript twin in `src/trials.ts`, and a
///         test asserts the two agree.
library TrialHashes {
    /// @notice A sponsor's trial id: `keccak256(abi.encode(sponsorOrgId, registryIdHash))`. Content-derived,
    ///         so a registry id is unique per sponsor, and anyone finds a trial from its public registry id.
    function trialId(uint256 sponsorOrgId, bytes32 registryIdHash) internal pure returns (bytes32) {
        return keccak256(abi.encode(sponsorOrgId, registryIdHash));
    }

    /// @notice A per-trial participant id: `keccak256(abi.encode(patientId, trialId, salt))`; the random
    ///         salt makes it unguessable from the (public) patient and trial ids.
    function participantId(uint256 patientId, bytes32 trial, bytes32 salt) internal pure returns (bytes32) {
        return keccak256(abi.encode(patientId, trial, salt));
    }

    /// @notice A data row's Merkle leaf, double-hashed as OpenZeppelin's `StandardMerkleTree` does (an inner
    ///         node, 64 bytes, cannot pass as a leaf): `keccak256(bytes.concat(keccak256(abi.encode(
    ///         participantId, protocolVersion, rowHash, salt))))`.
    function dataLeaf(
        bytes32 participant,
        uint32 protocolVersion,
        bytes32 rowHash,
        bytes32 salt
    ) internal pure returns (bytes32 leaf) {
        // Same bytes as `keccak256(bytes.concat(keccak256(abi.encode(...))))`, without allocating memory: the
        // 128-byte encoding is written past the free memory pointer (not claimed), the inner hash at 0x00.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, participant)
            mstore(add(m, 0x20), and(protocolVersion, 0xffffffff))
            mstore(add(m, 0x40), rowHash)
            mstore(add(m, 0x60), salt)
            mstore(0x00, keccak256(m, 0x80))
            leaf := keccak256(0x00, 0x20)
        }
    }

    /// @notice The commitment to a trial's outcome definitions: `keccak256(abi.encode(salt, definitionHash))`.
    function outcomesCommitment(bytes32 salt, bytes32 definitionHash) internal pure returns (bytes32) {
        return keccak256(abi.encode(salt, definitionHash));
    }

    /// @notice The root reached from `leaf` through `proof`, hashing each pair sorted: exactly OpenZeppelin's
    ///         `MerkleProof.processProofCalldata` (a differential fuzz test checks it), written as a tight loop
    ///         because it dominates `verifyDataPoint`: about 130 gas a level (42 of them the hash) instead of
    ///         about 350.
    /// @dev Each level writes the smaller node at 0x00 and the larger at 0x20 (scratch space, so memory-safe)
    ///      and hashes the 64 bytes: `commutativeKeccak256(node, sibling)`.
    function processProof(bytes32[] calldata proof, bytes32 leaf) internal pure returns (bytes32 node) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            node := leaf
            if proof.length {
                let p := proof.offset
                let end := add(p, shl(5, proof.length))
                for {} 1 {} {
                    let sibling := calldataload(p)
                    // sibling < node: node goes to 0x20 and sibling to 0x00; otherwise node first.
                    let nodeAt := shl(5, lt(sibling, node))
                    mstore(nodeAt, node)
                    mstore(xor(nodeAt, 0x20), sibling)
                    node := keccak256(0x00, 0x40)
                    p := add(p, 0x20)
                    if iszero(lt(p, end)) {
                        break
                    }
                }
            }
        }
    }
}
