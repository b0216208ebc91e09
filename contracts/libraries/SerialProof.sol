// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title SerialProof
/// @notice Leaves and Merkle proofs of serialised units: leaf = `keccak256(bytes.concat(keccak256(abi.encode(
///         uint256 index, bytes32 serialHash))))`, pairs hashed sorted, exactly as OpenZeppelin's `MerkleProof`
///         and `StandardMerkleTree` (leaf encoding ["uint256", "bytes32"]) do.
/// @dev Written as small assembly loops over scratch space because dispensing verifies a proof for every
///      pack: ~70 gas a level instead of ~250 for `MerkleProof.verifyCalldata` (a depth-20 proof saves ~3,500
///      gas). Only the scratch space (0x00-0x3f) is written, so the blocks are memory-safe. Fuzz tests check
///      both functions against the Solidity / OpenZeppelin computations.
library SerialProof {
    /// @notice The leaf of unit (`index`, `serialHash`).
    function leaf(uint256 index, bytes32 serialHash) internal pure returns (bytes32 hash) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(0x00, index)
            mstore(0x20, serialHash)
            mstore(0x00, keccak256(0x00, 0x40))
            hash := keccak256(0x00, 0x20)
        }
    }

    /// @notice Whether `proof` places `leafHash` under `root` (sorted-pair hashing).
    function verify(bytes32[] calldata proof, bytes32 root, bytes32 leafHash) internal pure returns (bool valid) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let node := leafHash
            let end := add(proof.offset, shl(5, proof.length))
            for {
                let p := proof.offset
            } lt(p, end) {
                p := add(p, 0x20)
            } {
                let sibling := calldataload(p)
                // The smaller hash goes first.
                switch lt(sibling, node)
                case 1 {
                    mstore(0x00, sibling)
                    mstore(0x20, node)
                }
                default {
                    mstore(0x00, node)
                    mstore(0x20, sibling)
                }
                node := keccak256(0x00, 0x40)
            }
            valid := eq(node, root)
        }
    }
}
