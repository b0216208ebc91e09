// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IClaimEscrow} from "../interfaces/IClaimEscrow.sol";
import {Adjudication} from "./Adjudication.sol";
import {ClaimLifecycle} from "./ClaimLifecycle.sol";
import {Treasury} from "./Treasury.sol";

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
        mapping(uint256 policyId => mapping(uint256 providerOrg => mapping(bytes32 codeHash => uint40))) preauths;
    }

    /// @notice Basis points in one (a coverage rate is at most this).
    uint256 internal constant BPS = 10_000;
    /// @notice A policy year (policy years count from the policy's start).
    uint256 internal constant POLICY_YEAR = 365 days;
    /// @notice Policy years fit a uint8 index.
    uint256 internal constant MAX_POLICY_YEARS = 255;
    /// @notice The longest review window: prompt-pay laws give an insurer 15 to 45 days; 180 days is a
    ///         generous ceiling, and `block.timestamp + window` then fits a uint32 until 2106.
    uint32 internal constant MAX_REVIEW_WINDOW = 180 days;
    /// @notice The longest timely-filing window: payers allow 90 days to a year (some 3 years for
    ///         corrections); 3 policy years bounds it.
    uint32 internal constant MAX_FILING_WINDOW = 3 * 365 days;

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
        if (terms.reviewWindow > MAX_REVIEW_WINDOW) {
            revert IClaimEscrow.ClaimsReviewWindowTooLong(terms.reviewWindow, MAX_REVIEW_WINDOW);
        }
        if (terms.timelyFilingWindow > MAX_FILING_WINDOW) {
            revert IClaimEscrow.ClaimsFilingWindowTooLong(terms.timelyFilingWindow, MAX_FILING_WINDOW);
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

    /// @notice Pre-authorises `codeHash` under a policy of `callerOrg` for `providerOrg` up to `validUntil`.
    function preauthorize(
        Store storage s,
        uint256 callerOrg,
        uint256 policyId,
        uint256 providerOrg,
        bytes32 codeHash,
        uint40 validUntil
    ) external {
        uint256 insurerOrg = s.policies[policyId].insurerOrg;
        if (insurerOrg == 0) revert IClaimEscrow.ClaimsUnknownPolicy(policyId);
        if (insurerOrg != callerOrg) revert IClaimEscrow.ClaimsWrongOrganization(insurerOrg, callerOrg);
        s.preauths[policyId][providerOrg][codeHash] = validUntil;
        emit IClaimEscrow.PreauthorizationGranted(policyId, providerOrg, codeHash, validUntil);
    }

    /// @notice Appeals `claimId` (of `policyId`, code `codeHash`, both checked against the id by the
    ///         caller): the lifecycle admits only a Denied claim never appealed (an unknown id is None, a
    ///         voided one Voided: both refused). It is adjudicated again against the accumulators of the day
    ///         and reviewed again, never paid at once; its benefit is reserved when free funds allow.
    ///         Here rather than in ClaimEscrow to keep it under EIP-170 (the review opening mirrors
    ///         ClaimEscrow's `_openReview`).
    function appeal(
        Store storage s,
        Treasury.Store storage money,
        mapping(uint8 year => IClaimEscrow.Accumulators) storage accumulators,
        mapping(bytes32 claimId => IClaimEscrow.Claim) storage claims,
        bytes32 claimId,
        uint256 policyId,
        bytes32 codeHash
    ) external {
        IClaimEscrow.Claim memory c = claims[claimId];
        c.status = ClaimLifecycle.appeal(claimId, c.status, c.flags);
        c.flags |= ClaimLifecycle.FLAG_APPEALED;
        IClaimEscrow.Policy memory policy = s.policies[policyId];
        IClaimEscrow.PlanTerms memory terms = s.terms[policy.planId];
        IClaimEscrow.Accumulators memory acc = accumulators[c.year];
        // A denied claim was covered (a code not covered is marked appealed) and plans are frozen: the
        // code is still covered.
        (, IClaimEscrow.ExplanationOfBenefits memory eob) = Adjudication.adjudicate(
            c.submitted,
            s.rules[policy.planId][codeHash],
            terms,
            acc
        );
        emit IClaimEscrow.ClaimAppealed(claimId, eob);
        // Every result is <= the submitted amount (a uint40), and Adjudication caps the accumulators by
        // the room left: the casts and sums below cannot truncate or overflow.
        c.benefit = uint40(eob.benefit);
        c.deductible = uint40(eob.deductible);
        c.patientShare = uint40(eob.patientResponsibility);
        c.notCovered = uint40(eob.notCovered);
        unchecked {
            accumulators[c.year] = IClaimEscrow.Accumulators({
                deductibleMet: acc.deductibleMet + c.deductible,
                outOfPocketPaid: acc.outOfPocketPaid + c.patientShare,
                benefitUsed: acc.benefitUsed + c.benefit
            });
        }
        c.reviewDeadline = SafeCast.toUint32(block.timestamp + terms.reviewWindow);
        IClaimEscrow.Escrow memory escrow = money.escrows[policy.insurerOrg];
        bool reserved = escrow.free >= c.benefit;
        if (reserved) {
            escrow.free -= c.benefit;
            escrow.reserved += c.benefit;
            money.escrows[policy.insurerOrg] = escrow;
            c.flags |= ClaimLifecycle.FLAG_RESERVED;
        }
        claims[claimId] = c;
        emit IClaimEscrow.ClaimReviewOpened(claimId, c.reviewDeadline, reserved, IClaimEscrow.ReviewReason.Appeal);
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
