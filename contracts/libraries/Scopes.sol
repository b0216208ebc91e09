// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Scopes
/// @notice Data categories, actions and purposes of patient consent, as bitmasks (DESIGN.md §2).
///         Categories follow HL7 FHIR / US Core groupings; the four sensitive ones form the RESTRICTED
///         group, which events show as a whole (never which member). Mirrored in `src/scopes.ts`.
library Scopes {
    // ------------------------------------------------------------------ data categories (uint32 mask)

    uint32 internal constant DEMOGRAPHICS = 1 << 0;
    /// @notice Address, phone, e-mail.
    uint32 internal constant CONTACT = 1 << 1;
    uint32 internal constant ENCOUNTERS = 1 << 2;
    /// @notice Problems and medical history.
    uint32 internal constant CONDITIONS = 1 << 3;
    uint32 internal constant MEDICATIONS = 1 << 4;
    uint32 internal constant ALLERGIES = 1 << 5;
    uint32 internal constant LAB_RESULTS = 1 << 6;
    uint32 internal constant IMAGING = 1 << 7;
    uint32 internal constant IMMUNIZATIONS = 1 << 8;
    uint32 internal constant PROCEDURES = 1 << 9;
    uint32 internal constant CLINICAL_NOTES = 1 << 10;
    uint32 internal constant BILLING = 1 << 11;
    uint32 internal constant MENTAL_HEALTH = 1 << 12;
    uint32 internal constant SUBSTANCE_USE = 1 << 13;
    uint32 internal constant SEXUAL_HEALTH = 1 << 14;
    uint32 internal constant GENETIC = 1 << 15;

    /// @notice The sensitive group. Events carry the whole group when any member is involved.
    uint32 internal constant RESTRICTED = MENTAL_HEALTH | SUBSTANCE_USE | SEXUAL_HEALTH | GENETIC;
    /// @notice Every category.
    uint32 internal constant ALL_CATEGORIES = (1 << 16) - 1;
    /// @notice Number of categories (a record's category is a bit index below this).
    uint8 internal constant CATEGORY_COUNT = 16;

    // ------------------------------------------------------------------ actions (uint8 mask)

    uint8 internal constant READ = 1 << 0;
    uint8 internal constant WRITE = 1 << 1;
    uint8 internal constant ALL_ACTIONS = READ | WRITE;

    // ------------------------------------------------------------------ purposes (uint8 mask)

    uint8 internal constant TREATMENT = 1 << 0;
    uint8 internal constant PAYMENT = 1 << 1;
    uint8 internal constant OPERATIONS = 1 << 2;
    uint8 internal constant RESEARCH = 1 << 3;
    uint8 internal constant PUBLIC_HEALTH = 1 << 4;
    uint8 internal constant EMERGENCY = 1 << 5;
    uint8 internal constant ALL_PURPOSES = (1 << 6) - 1;

    // ------------------------------------------------------------------ algebra

    /// @notice Whether `held` covers a non-empty `requested` (every requested bit is held).
    function covers(uint256 held, uint256 requested) internal pure returns (bool) {
        return requested != 0 && held & requested == requested;
    }

    /// @notice Whether `mask` is non-empty and within `all`.
    function isValid(uint256 mask, uint256 all) internal pure returns (bool) {
        return mask != 0 && mask & all == mask;
    }

    /// @notice The mask of category index `category` (callers check `category < CATEGORY_COUNT`).
    function bit(uint8 category) internal pure returns (uint32) {
        return uint32(1) << category;
    }

    /// @notice What an event shows of `scopes`: any RESTRICTED member widens to the whole group, so
    ///         logs never say which sensitive category (mental health, substance use, …) was involved.
    function redact(uint32 scopes) internal pure returns (uint32) {
        if (scopes & RESTRICTED != 0) return scopes | RESTRICTED;
        return scopes;
    }
}
