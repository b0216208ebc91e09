// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";

/// @title MedChainAccessManager
/// @notice The one OpenZeppelin AccessManager that governs every MedChain contract. ADMIN (role 0) is
///         held by the consortium's multisig; role ids live in `Roles.sol`. Nothing is added to
///         OpenZeppelin's audited implementation: this contract only gives it a deployable name.
contract MedChainAccessManager is AccessManager {
    constructor(address initialAdmin) AccessManager(initialAdmin) {}
}
