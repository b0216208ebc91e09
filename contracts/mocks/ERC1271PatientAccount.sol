// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @notice A minimal smart account for tests: its owner's ECDSA signatures are its ERC-1271 signatures,
///         and its owner makes it call other contracts (to register as a patient controller). Test-only.
contract ERC1271PatientAccount is IERC1271 {
    address public immutable OWNER;

    error ERC1271PatientAccountNotOwner(address caller);

    constructor(address owner_) {
        OWNER = owner_;
    }

    function execute(address target, bytes calldata data) external returns (bytes memory) {
        if (msg.sender != OWNER) revert ERC1271PatientAccountNotOwner(msg.sender);
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory ret) = target.call(data);
        if (!ok) {
            // solhint-disable-next-line no-inline-assembly
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
        return ret;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address recovered, , ) = ECDSA.tryRecover(hash, signature);
        return recovered == OWNER ? IERC1271.isValidSignature.selector : bytes4(0xffffffff);
    }
}
