// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Roles
/// @notice The role ids of MedChain's single AccessManager. Mirrored in `src/roles.ts`.
/// @dev ADMIN is the AccessManager's built-in ADMIN_ROLE (0). The others are small, stable numbers.
library Roles {
    uint64 internal constant ADMIN = 0;
    uint64 internal constant REGISTRAR = 1;
    uint64 internal constant REGULATOR = 2;
    uint64 internal constant PAUSER = 3;
}
