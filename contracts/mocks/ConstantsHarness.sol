// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Roles} from "../governance/Roles.sol";
import {Capabilities} from "../libraries/Capabilities.sol";
import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";

/// @notice Test-only: exposes Solidity constants so TypeScript tests can check their twins in src/.
contract ConstantsHarness {
    function roles() external pure returns (uint64 admin, uint64 registrar, uint64 regulator, uint64 pauser) {
        return (Roles.ADMIN, Roles.REGISTRAR, Roles.REGULATOR, Roles.PAUSER);
    }

    function capabilities() external pure returns (uint32[10] memory caps) {
        caps = [
            Capabilities.EMERGENCY_ACCESS,
            Capabilities.WRITE_RECORDS,
            Capabilities.DISPENSE,
            Capabilities.MANUFACTURE,
            Capabilities.TRADE,
            Capabilities.QUALITY_CONTROL,
            Capabilities.INSURE,
            Capabilities.BILL,
            Capabilities.SPONSOR_TRIALS,
            Capabilities.RESEARCH
        ];
    }

    function orgKinds() external pure returns (uint8[9] memory kinds) {
        kinds = [
            uint8(IIdentityRegistry.OrgKind.None),
            uint8(IIdentityRegistry.OrgKind.Provider),
            uint8(IIdentityRegistry.OrgKind.Pharmacy),
            uint8(IIdentityRegistry.OrgKind.Manufacturer),
            uint8(IIdentityRegistry.OrgKind.Distributor),
            uint8(IIdentityRegistry.OrgKind.Lab),
            uint8(IIdentityRegistry.OrgKind.Insurer),
            uint8(IIdentityRegistry.OrgKind.Sponsor),
            uint8(IIdentityRegistry.OrgKind.Regulator)
        ];
    }
}
