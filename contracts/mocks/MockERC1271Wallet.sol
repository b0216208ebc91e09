// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title MockERC1271Wallet
/// @notice A minimal smart account for tests: one owner EOA, whose ECDSA signature over a hash is the
///         wallet's signature (ERC-1271). The owner can hand the wallet to another key, which makes
///         every signature of the previous owner invalid. Never part of the SDK.
contract MockERC1271Wallet is IERC1271 {
    /// @notice The EOA whose signatures the wallet accepts.
    address public owner;

    /// @notice The wallet changed hands.
    event OwnerChanged(address indexed previousOwner, address indexed newOwner);

    /// @notice Only the owner may change the owner: `caller` is not it.
    error MockWalletNotOwner(address caller);

    constructor(address initialOwner) {
        owner = initialOwner;
        emit OwnerChanged(address(0), initialOwner);
    }

    /// @notice Hands the wallet to `newOwner`. Owner only.
    function setOwner(address newOwner) external {
        if (msg.sender != owner) revert MockWalletNotOwner(msg.sender);
        emit OwnerChanged(owner, newOwner);
        owner = newOwner;
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4 magicValue) {
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(hash, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == owner) return IERC1271.isValidSignature.selector;
        return 0xffffffff;
    }
}
