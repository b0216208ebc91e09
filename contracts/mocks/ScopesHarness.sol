// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Scopes} from "../libraries/Scopes.sol";

/// @notice Exposes `Scopes` to the TypeScript twin test (src/scopes.ts). Test-only.
contract ScopesHarness {
    function categories() external pure returns (uint32[16] memory c) {
        c = [
            Scopes.DEMOGRAPHICS,
            Scopes.CONTACT,
            Scopes.ENCOUNTERS,
            Scopes.CONDITIONS,
            Scopes.MEDICATIONS,
            Scopes.ALLERGIES,
            Scopes.LAB_RESULTS,
            Scopes.IMAGING,
            Scopes.IMMUNIZATIONS,
            Scopes.PROCEDURES,
            Scopes.CLINICAL_NOTES,
            Scopes.BILLING,
            Scopes.MENTAL_HEALTH,
            Scopes.SUBSTANCE_USE,
            Scopes.SEXUAL_HEALTH,
            Scopes.GENETIC
        ];
    }

    function groups() external pure returns (uint32 restricted, uint32 all, uint8 count) {
        return (Scopes.RESTRICTED, Scopes.ALL_CATEGORIES, Scopes.CATEGORY_COUNT);
    }

    function actions() external pure returns (uint8 read, uint8 write, uint8 all) {
        return (Scopes.READ, Scopes.WRITE, Scopes.ALL_ACTIONS);
    }

    function purposes() external pure returns (uint8[7] memory p) {
        p = [
            Scopes.TREATMENT,
            Scopes.PAYMENT,
            Scopes.OPERATIONS,
            Scopes.RESEARCH,
            Scopes.PUBLIC_HEALTH,
            Scopes.EMERGENCY,
            Scopes.ALL_PURPOSES
        ];
    }

    function redact(uint32 mask) external pure returns (uint32) {
        return Scopes.redact(mask);
    }

    function covers(uint256 held, uint256 requested) external pure returns (bool) {
        return Scopes.covers(held, requested);
    }
}
