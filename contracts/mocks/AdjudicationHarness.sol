// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Adjudication} from "../libraries/Adjudication.sol";

/// @notice Test-only: exposes the pure Adjudication library to TypeScript (reference fuzzing, table rows).
contract AdjudicationHarness {
    function adjudicate(
        uint256 amount,
        Adjudication.Coverage calldata coverage,
        Adjudication.Limits calldata limits,
        Adjudication.Totals calldata totals
    ) external pure returns (Adjudication.Result memory) {
        return Adjudication.adjudicate(amount, coverage, limits, totals);
    }

    /// @notice The salted procedure-code hash the SDK computes off chain (its twin's check).
    function codeHash(bytes32 planSalt, string calldata code) external pure returns (bytes32) {
        return keccak256(abi.encode(planSalt, code));
    }
}
