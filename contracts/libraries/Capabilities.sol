// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Capabilities
/// @notice Bits of an organisation's capability mask (set by its registrar). Mirrored in `src/roles.ts`.
library Capabilities {
    /// @notice May open break-glass (emergency) access. Providers.
    uint32 internal constant EMERGENCY_ACCESS = 1 << 0;
    /// @notice May write medical records. Providers, labs.
    uint32 internal constant WRITE_RECORDS = 1 << 1;
    /// @notice May dispense drugs to patients. Pharmacies (and hospital pharmacies).
    uint32 internal constant DISPENSE = 1 << 2;
    /// @notice May commission serialised lots. Manufacturers.
    uint32 internal constant MANUFACTURE = 1 << 3;
    /// @notice May hold and pass on drug stock. Distributors, pharmacies, manufacturers.
    uint32 internal constant TRADE = 1 << 4;
    /// @notice May record quality checks. Labs, manufacturers' QA.
    uint32 internal constant QUALITY_CONTROL = 1 << 5;
    /// @notice May fund escrow and adjudicate claims. Insurers.
    uint32 internal constant INSURE = 1 << 6;
    /// @notice May submit claims. Providers, pharmacies.
    uint32 internal constant BILL = 1 << 7;
    /// @notice May register clinical trials. Sponsors.
    uint32 internal constant SPONSOR_TRIALS = 1 << 8;
    /// @notice May act as a trial site or a research organisation.
    uint32 internal constant RESEARCH = 1 << 9;
}
