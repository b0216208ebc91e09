// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IClaimEscrow} from "../interfaces/IClaimEscrow.sol";

/// @title PlanBook
/// @notice ClaimEscrow's plans, code rules, policies and pre-authorisations, with the writes insurers
///         make to them. A linked (external) library: its code runs on ClaimEscrow's storage by
///         DELEGATECALL, which keeps ClaimEscrow under the EIP-170 size limit. ClaimEscrow checks the
///         caller is an insurer and passes its organisation; this library checks it owns what it changes.
library PlanBook {
    /// @notice A plan's owner and whether a policy is bound to it (then its terms and rules are frozen).
    struct Meta {
        uint64 insurerOrg;
        bool locked;
    }

    /// @notice The whole book, one storage struct of ClaimEscrow.
    struct Store {
        uint256 planCount;
        uint256 policyCount;
        mapping(uint256 planId => IClaimEscrow.PlanTerms) terms;
        mapping(uint256 planId => Meta) meta;
        mapping(uint256 planId => mapping(bytes32 codeHash => IClaimEscrow.CodeRule)) rules;
        mapping(uint256 policyId => IClaimEscrow.Policy) policies;
        mapping(uint256 policyId => mapping(bytes32 codeHash => uint40 validUntil)) preauths;
    }

    /// @notice Basis points in one (a coverage rate is at most this).
    uint256 internal constant BPS = 10_000;
    /// @notice A policy year (policy years count from the policy's start).
    uint256 internal constant POLICY_YEAR = 365 days;
    /// @notice Policy years fit a uint8 index.
    uint256 internal constant MAX_POLICY_YEARS = 255;

    /// @notice Creates a plan of `insurerOrg` with its code rules.
    function createPlan(
        Store storage s,
        uint256 insurerOrg,
        IClaimEscrow.PlanTerms calldata terms,
        bytes32[] calldata codeHashes,
        IClaimEscrow.CodeRule[] calldata rules
    ) external returns (uint256 planId) {
        if (terms.reviewWindow == 0 || terms.timelyFilingWindow == 0) {
            revert IClaimEscrow.ClaimsInvalidWindows(terms.reviewWindow, terms.timelyFilingWindow);
        }
        planId = ++s.planCount;
        s.terms[planId] = terms;
        // Organisation ids come from the IdentityRegistry's counter, stored there as uint64.
        s.meta[planId] = Meta({insurerOrg: uint64(insurerOrg), locked: false});
        emit IClaimEscrow.PlanCreated(planId, insurerOrg, terms);
        _setRules(s, planId, codeHashes, rules);
    }

    /// @notice Sets code rules of an unlocked plan owned by `callerOrg`.
    function setCodeRules(
        Store storage s,
        uint256 callerOrg,
        uint256 planId,
        bytes32[] calldata codeHashes,
        IClaimEscrow.CodeRule[] calldata rules
    ) external {
        Meta memory meta = _ownedPlan(s, callerOrg, planId);
        if (meta.locked) revert IClaimEscrow.ClaimsPlanLocked(planId);
        _setRules(s, planId, codeHashes, rules);
    }

    /// @notice Binds `patientId` (checked by the caller) to a plan of `callerOrg`, locking the plan.
    function bindPolicy(
        Store storage s,
        uint256 callerOrg,
        uint256 planId,
        uint256 patientId,
        uint40 start,
        uint40 end
    ) external returns (uint256 policyId) {
        Meta memory meta = _ownedPlan(s, callerOrg, planId);
        if (start >= end || end - start > MAX_POLICY_YEARS * POLICY_YEAR) {
            revert IClaimEscrow.ClaimsInvalidPolicyPeriod(start, end);
        }
        policyId = ++s.policyCount;
        s.policies[policyId] = IClaimEscrow.Policy({
            patientId: patientId,
            planId: uint64(planId), // <= planCount, a counter
            insurerOrg: meta.insurerOrg,
            start: start,
            end: end
        });
        if (!meta.locked) s.meta[planId].locked = true;
        emit IClaimEscrow.PolicyBound(policyId, planId, meta.insurerOrg, start, end);
    }

    /// @notice Pre-authorises `codeHash` under a policy of `callerOrg` up to `validUntil`.
    function preauthorize(
        Store storage s,
        uint256 callerOrg,
        uint256 policyId,
        bytes32 codeHash,
        uint40 validUntil
    ) external {
        uint256 insurerOrg = s.policies[policyId].insurerOrg;
        if (insurerOrg == 0) revert IClaimEscrow.ClaimsUnknownPolicy(policyId);
        if (insurerOrg != callerOrg) revert IClaimEscrow.ClaimsWrongOrganization(insurerOrg, callerOrg);
        s.preauths[policyId][codeHash] = validUntil;
        emit IClaimEscrow.PreauthorizationGranted(policyId, codeHash, validUntil);
    }

    function _ownedPlan(Store storage s, uint256 callerOrg, uint256 planId) private view returns (Meta memory meta) {
        meta = s.meta[planId];
        if (meta.insurerOrg == 0) revert IClaimEscrow.ClaimsUnknownPlan(planId);
        if (meta.insurerOrg != callerOrg) revert IClaimEscrow.ClaimsWrongOrganization(meta.insurerOrg, callerOrg);
    }

    function _setRules(
        Store storage s,
        uint256 planId,
        bytes32[] calldata codeHashes,
        IClaimEscrow.CodeRule[] calldata rules
    ) private {
        if (codeHashes.length != rules.length)
            revert IClaimEscrow.ClaimsLengthMismatch(codeHashes.length, rules.length);
        for (uint256 i = 0; i < rules.length; ++i) {
            if (rules[i].rateBps > BPS) revert IClaimEscrow.ClaimsInvalidRate(codeHashes[i], rules[i].rateBps);
            s.rules[planId][codeHashes[i]] = rules[i];
            emit IClaimEscrow.CodeRuleSet(planId, codeHashes[i], rules[i]);
        }
    }
}
