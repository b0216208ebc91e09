// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IClaimEscrow} from "../interfaces/IClaimEscrow.sol";
import {IClaimsConsent} from "../interfaces/IClaimsConsent.sol";
import {IClaimsRecords} from "../interfaces/IClaimsRecords.sol";
import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";
import {IRecordRegistry} from "../interfaces/IRecordRegistry.sol";
import {Adjudication} from "../libraries/Adjudication.sol";
import {Capabilities} from "../libraries/Capabilities.sol";
import {ClaimLifecycle} from "../libraries/ClaimLifecycle.sol";
import {PlanBook} from "../libraries/PlanBook.sol";
import {Scopes} from "../libraries/Scopes.sol";
import {Treasury} from "../libraries/Treasury.sol";

/// @title ClaimEscrow
/// @notice Insurance claims adjudicated by the plan's rules (DESIGN.md §6) and paid from an insurer's
///         ERC-20 escrow. See `IClaimEscrow`.
/// @dev Not upgradeable. Governed by one AccessManager: `pause` is wired to PAUSER; `unpause` and
///      `sweepSurplus` stay ADMIN. Insurers and providers are recognised through the IdentityRegistry
///      (kind Insurer with INSURE; any active organisation with BILL). Invariant kept by every function:
///      token balance >= `_money.liabilities` = free + reserved + credits + patient deposits.
contract ClaimEscrow is IClaimEscrow, AccessManaged, Pausable, EIP712, ReentrancyGuardTransient {
    // ------------------------------------------------------------------ types

    /// @dev What adjudicating a claim needs, gathered once (keeps the stack shallow).
    struct Context {
        bytes32 claimId;
        uint256 policyId;
        uint256 insurerOrg;
        bytes32 codeHash;
        bytes32 lineRef;
        uint64 serviceDate;
        uint40 amount;
        uint8 year;
        ClaimStatus from;
        uint8 flags;
        ReviewReason reason;
        address payout;
    }

    // ------------------------------------------------------------------ constants

    /// @notice X12 claim adjustment reason code 96: non-covered charge.
    uint16 public constant REASON_NOT_COVERED = 96;
    /// @inheritdoc IClaimEscrow
    uint64 public constant WITHDRAWAL_NOTICE = Treasury.WITHDRAWAL_NOTICE;
    /// @inheritdoc IClaimEscrow
    uint64 public constant WITHDRAWAL_WINDOW = Treasury.WITHDRAWAL_WINDOW;

    uint8 private constant _FLAG_APPEALED = ClaimLifecycle.FLAG_APPEALED;
    uint8 private constant _FLAG_RESERVED = ClaimLifecycle.FLAG_RESERVED;
    uint8 private constant _FLAG_PATIENT_OWED = Treasury.FLAG_PATIENT_OWED;

    uint32 private constant _SCOPE_BILLING = 1 << 11; // must equal Scopes.BILLING
    uint8 private constant _ACTION_READ = 1 << 0; // must equal Scopes.READ
    uint8 private constant _PURPOSE_PAYMENT = 1 << 1; // must equal Scopes.PAYMENT
    uint8 private constant _PURPOSE_TREATMENT = 1 << 0; // must equal Scopes.TREATMENT

    bytes32 public constant AUTHORIZE_PROVIDER_TYPEHASH =
        keccak256("AuthorizeProvider(uint256 policyId,uint256 providerOrg,uint128 cap,uint256 nonce,uint256 deadline)");
    bytes32 public constant WITHDRAW_DEPOSIT_TYPEHASH =
        keccak256("WithdrawDeposit(uint256 patientId,uint128 amount,address to,uint256 nonce,uint256 deadline)");

    // ------------------------------------------------------------------ immutables

    IIdentityRegistry private immutable _IDENTITY;
    IClaimsConsent private immutable _CONSENT;
    IClaimsRecords private immutable _RECORDS;
    IERC20 private immutable _TOKEN;

    // ------------------------------------------------------------------ storage

    PlanBook.Store private _book;
    Treasury.Store private _money;
    mapping(uint256 policyId => mapping(uint8 year => Accumulators)) private _accumulators;
    mapping(bytes32 claimId => Claim) private _claims;
    mapping(uint256 providerOrg => address) private _payouts;
    mapping(uint256 patientId => uint256) private _nonces;

    // ------------------------------------------------------------------ constructor

    constructor(
        address initialAuthority,
        IIdentityRegistry identity_,
        IClaimsConsent consent_,
        IClaimsRecords records_,
        IERC20 token_
    ) AccessManaged(initialAuthority) EIP712("MedChain ClaimEscrow", "1") {
        _IDENTITY = identity_;
        _CONSENT = consent_;
        _RECORDS = records_;
        _TOKEN = token_;
    }

    // ------------------------------------------------------------------ ADMIN / PAUSER

    /// @inheritdoc IClaimEscrow
    function pause() external restricted {
        _pause();
    }

    /// @inheritdoc IClaimEscrow
    function unpause() external restricted {
        _unpause();
    }

    /// @inheritdoc IClaimEscrow
    function sweepSurplus(address to) external restricted nonReentrant {
        Treasury.sweepSurplus(_money, _TOKEN, to);
    }

    // ------------------------------------------------------------------ insurers: plans and policies

    /// @inheritdoc IClaimEscrow
    function createPlan(
        PlanTerms calldata terms,
        bytes32[] calldata codeHashes,
        CodeRule[] calldata rules
    ) external whenNotPaused returns (uint256 planId) {
        planId = PlanBook.createPlan(_book, _checkInsurer(), terms, codeHashes, rules);
    }

    /// @inheritdoc IClaimEscrow
    function setCodeRules(
        uint256 planId,
        bytes32[] calldata codeHashes,
        CodeRule[] calldata rules
    ) external whenNotPaused {
        PlanBook.setCodeRules(_book, _checkInsurer(), planId, codeHashes, rules);
    }

    /// @inheritdoc IClaimEscrow
    function bindPolicy(
        uint256 planId,
        uint256 patientId,
        uint40 start,
        uint40 end
    ) external whenNotPaused returns (uint256 policyId) {
        uint256 insurerOrg = _checkInsurer();
        if (!_IDENTITY.isPatient(patientId)) revert ClaimsUnknownPatient(patientId);
        policyId = PlanBook.bindPolicy(_book, insurerOrg, planId, patientId, start, end);
    }

    /// @inheritdoc IClaimEscrow
    function preauthorize(
        uint256 policyId,
        uint256 providerOrg,
        bytes32 codeHash,
        uint40 validUntil
    ) external whenNotPaused {
        PlanBook.preauthorize(_book, _checkInsurer(), policyId, providerOrg, codeHash, validUntil);
    }

    // ------------------------------------------------------------------ insurers: escrow

    /// @inheritdoc IClaimEscrow
    function deposit(uint128 amount) external nonReentrant whenNotPaused {
        Treasury.depositEscrow(_money, _TOKEN, _checkInsurer(), amount);
    }

    /// @inheritdoc IClaimEscrow
    function requestWithdrawal(uint128 amount) external whenNotPaused {
        Treasury.requestWithdrawal(_money, Treasury.withdrawingInsurer(_IDENTITY), amount);
    }

    /// @inheritdoc IClaimEscrow
    function cancelWithdrawal() external whenNotPaused {
        Treasury.cancelWithdrawal(_money, Treasury.withdrawingInsurer(_IDENTITY));
    }

    /// @inheritdoc IClaimEscrow
    function executeWithdrawal(address to) external nonReentrant whenNotPaused {
        Treasury.executeWithdrawal(_money, _TOKEN, Treasury.withdrawingInsurer(_IDENTITY), to);
    }

    // ------------------------------------------------------------------ insurers: review

    /// @inheritdoc IClaimEscrow
    function approveClaim(bytes32 claimId, uint40 benefit) external nonReentrant whenNotPaused {
        Claim memory c = _claims[claimId];
        uint256 insurerOrg = _reviewable(claimId, c, ClaimStatus.Paid);
        uint40 ruleBenefit = c.benefit;
        if (benefit > ruleBenefit) revert ClaimsApprovalExceedsRules(claimId, benefit, ruleBenefit);
        if (benefit < ruleBenefit) {
            // The reduction is the provider's write-off: it frees annual-limit headroom.
            _accumulators[_policyOf(claimId)][c.year].benefitUsed -= ruleBenefit - benefit;
            c.benefit = benefit;
        }
        emit ClaimApproved(claimId, benefit, ruleBenefit, false);
        _settle(claimId, c, insurerOrg, ruleBenefit, _payouts[_providerOf(claimId)]);
    }

    /// @inheritdoc IClaimEscrow
    function denyClaim(bytes32 claimId, uint16 reasonCode) external whenNotPaused {
        Claim memory c = _claims[claimId];
        uint256 insurerOrg = _reviewable(claimId, c, ClaimStatus.Denied);
        _release(claimId, c, insurerOrg);
        c.status = ClaimStatus.Denied;
        c.flags &= ~_FLAG_RESERVED;
        _claims[claimId] = c;
        emit ClaimDenied(claimId, reasonCode);
    }

    // ------------------------------------------------------------------ providers

    /// @inheritdoc IClaimEscrow
    function setPayoutAddress(address payout) external whenNotPaused {
        uint256 providerOrg = _checkProvider();
        if (payout == address(0)) revert ClaimsZeroAddress();
        _payouts[providerOrg] = payout;
        emit PayoutAddressSet(providerOrg, payout);
    }

    /// @inheritdoc IClaimEscrow
    function submitClaim(
        uint256 policyId,
        bytes32 codeHash,
        bytes32 lineRef,
        uint40 amount,
        uint64 serviceDate,
        bytes32 evidenceRecordId
    ) external nonReentrant whenNotPaused returns (bytes32 claimId) {
        uint256 providerOrg = _checkProvider();
        claimId = _submit(
            providerOrg,
            ClaimInput({
                policyId: policyId,
                codeHash: codeHash,
                lineRef: lineRef,
                amount: amount,
                serviceDate: serviceDate,
                evidenceRecordId: evidenceRecordId
            })
        );
    }

    /// @inheritdoc IClaimEscrow
    function replaceClaim(
        bytes32 oldClaimId,
        ClaimInput calldata replacement
    ) external nonReentrant whenNotPaused returns (bytes32 claimId) {
        uint256 providerOrg = _checkProvider();
        _void(oldClaimId, providerOrg);
        claimId = _submit(providerOrg, replacement);
    }

    /// @inheritdoc IClaimEscrow
    function voidClaim(bytes32 claimId) external whenNotPaused {
        _void(claimId, _checkProvider());
    }

    /// @inheritdoc IClaimEscrow
    function appealClaim(
        bytes32 claimId,
        bytes32 codeHash,
        bytes32 lineRef,
        uint64 serviceDate
    ) external whenNotPaused {
        uint256 providerOrg = _checkProvider();
        uint256 policyId = _policyOf(claimId);
        if (
            _claimId(providerOrg, policyId, codeHash, serviceDate) != claimId &&
            _repeatClaimId(providerOrg, policyId, codeHash, serviceDate, lineRef) != claimId
        ) revert ClaimsClaimMismatch(claimId);
        PlanBook.appeal(_book, _money, _accumulators[policyId], _claims, claimId, policyId, codeHash);
    }

    /// @inheritdoc IClaimEscrow
    function settleClaim(bytes32 claimId) external nonReentrant whenNotPaused {
        Claim memory c = _claims[claimId];
        if (c.status != ClaimStatus.Pending) revert ClaimsInvalidTransition(claimId, c.status, ClaimStatus.Paid);
        if (block.timestamp <= c.reviewDeadline) revert ClaimsReviewWindowOpen(claimId, c.reviewDeadline);
        emit ClaimApproved(claimId, c.benefit, c.benefit, true);
        _settle(claimId, c, _book.policies[_policyOf(claimId)].insurerOrg, c.benefit, _payouts[_providerOf(claimId)]);
    }

    /// @inheritdoc IClaimEscrow
    function payOwed(bytes32 claimId) external nonReentrant whenNotPaused {
        Treasury.payOwed(
            _money,
            _TOKEN,
            _claims[claimId],
            claimId,
            _book.policies[_policyOf(claimId)].insurerOrg,
            _payouts[_providerOf(claimId)]
        );
    }

    /// @inheritdoc IClaimEscrow
    function collectPatientShare(bytes32 claimId) external nonReentrant whenNotPaused {
        uint256 providerOrg = _providerOf(claimId);
        Treasury.collectPatientShare(
            _money,
            _TOKEN,
            _claims[claimId],
            claimId,
            _policyOf(claimId),
            providerOrg,
            _payouts[providerOrg]
        );
    }

    /// @inheritdoc IClaimEscrow
    function withdrawCredit(address to) external nonReentrant whenNotPaused {
        Treasury.withdrawCredit(_money, _TOKEN, to);
    }

    // ------------------------------------------------------------------ patients

    /// @inheritdoc IClaimEscrow
    function depositForPatient(uint256 patientId, uint128 amount) external nonReentrant whenNotPaused {
        if (!_IDENTITY.isPatient(patientId)) revert ClaimsUnknownPatient(patientId);
        Treasury.depositForPatient(_money, _TOKEN, patientId, amount);
    }

    /// @inheritdoc IClaimEscrow
    function withdrawPatientDeposit(uint256 patientId, uint128 amount, address to) external nonReentrant {
        _checkPatientActor(msg.sender, patientId);
        _useNonce(patientId);
        Treasury.withdrawDeposit(_money, _TOKEN, patientId, amount, to);
    }

    /// @inheritdoc IClaimEscrow
    function withdrawPatientDepositWithSig(
        uint256 patientId,
        uint128 amount,
        address to,
        address signer,
        uint256 deadline,
        bytes calldata signature
    ) external nonReentrant {
        _checkPatientActor(signer, patientId);
        uint256 nonce = _useNonce(patientId);
        _checkSignature(
            signer,
            keccak256(abi.encode(WITHDRAW_DEPOSIT_TYPEHASH, patientId, amount, to, nonce, deadline)),
            deadline,
            signature
        );
        Treasury.withdrawDeposit(_money, _TOKEN, patientId, amount, to);
    }

    /// @inheritdoc IClaimEscrow
    function authorizeProvider(uint256 policyId, uint256 providerOrg, uint128 cap) external nonReentrant {
        uint256 patientId = _patientOfPolicy(policyId);
        _checkPatientActor(msg.sender, patientId);
        _useNonce(patientId);
        Treasury.setEarmark(_money, patientId, policyId, providerOrg, cap);
    }

    /// @inheritdoc IClaimEscrow
    function authorizeProviderWithSig(
        uint256 policyId,
        uint256 providerOrg,
        uint128 cap,
        address signer,
        uint256 deadline,
        bytes calldata signature
    ) external nonReentrant {
        uint256 patientId = _patientOfPolicy(policyId);
        _checkPatientActor(signer, patientId);
        uint256 nonce = _useNonce(patientId);
        _checkSignature(
            signer,
            keccak256(abi.encode(AUTHORIZE_PROVIDER_TYPEHASH, policyId, providerOrg, cap, nonce, deadline)),
            deadline,
            signature
        );
        Treasury.setEarmark(_money, patientId, policyId, providerOrg, cap);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IClaimEscrow
    function getPlan(uint256 planId) external view returns (PlanTerms memory terms, uint256 insurerOrg, bool locked) {
        PlanBook.Meta memory meta = _book.meta[planId];
        return (_book.terms[planId], meta.insurerOrg, meta.locked);
    }

    /// @inheritdoc IClaimEscrow
    function getCodeRule(uint256 planId, bytes32 codeHash) external view returns (CodeRule memory) {
        return _book.rules[planId][codeHash];
    }

    /// @inheritdoc IClaimEscrow
    function getPolicy(uint256 policyId) external view returns (Policy memory) {
        return _book.policies[policyId];
    }

    /// @inheritdoc IClaimEscrow
    function accumulatorsOf(uint256 policyId, uint8 year) external view returns (Accumulators memory) {
        return _accumulators[policyId][year];
    }

    /// @inheritdoc IClaimEscrow
    function preauthorizationOf(
        uint256 policyId,
        uint256 providerOrg,
        bytes32 codeHash
    ) external view returns (uint40) {
        return _book.preauths[policyId][providerOrg][codeHash];
    }

    /// @inheritdoc IClaimEscrow
    function getClaim(bytes32 claimId) external view returns (Claim memory) {
        return _claims[claimId];
    }

    /// @inheritdoc IClaimEscrow
    function escrowOf(uint256 insurerOrg) external view returns (Escrow memory) {
        return _money.escrows[insurerOrg];
    }

    /// @inheritdoc IClaimEscrow
    function owedOf(uint256 insurerOrg) external view returns (uint256) {
        return _money.owed[insurerOrg];
    }

    /// @inheritdoc IClaimEscrow
    function pendingWithdrawal(uint256 insurerOrg) external view returns (Withdrawal memory) {
        return _money.withdrawals[insurerOrg];
    }

    /// @inheritdoc IClaimEscrow
    function payoutAddressOf(uint256 providerOrg) external view returns (address) {
        return _payouts[providerOrg];
    }

    /// @inheritdoc IClaimEscrow
    function creditOf(address payee) external view returns (uint256) {
        return _money.credits[payee];
    }

    /// @inheritdoc IClaimEscrow
    function patientDepositOf(uint256 patientId) external view returns (uint256) {
        return _money.deposits[patientId];
    }

    /// @inheritdoc IClaimEscrow
    function authorizationOf(uint256 policyId, uint256 providerOrg) external view returns (uint256) {
        return _money.earmarks[policyId][providerOrg];
    }

    /// @inheritdoc IClaimEscrow
    function nonces(uint256 patientId) external view returns (uint256) {
        return _nonces[patientId];
    }

    /// @inheritdoc IClaimEscrow
    function totalLiabilities() external view returns (uint256) {
        return _money.liabilities;
    }

    /// @inheritdoc IClaimEscrow
    function token() external view returns (address) {
        return address(_TOKEN);
    }

    /// @inheritdoc IClaimEscrow
    function identity() external view returns (IIdentityRegistry) {
        return _IDENTITY;
    }

    /// @inheritdoc IClaimEscrow
    function consent() external view returns (IClaimsConsent) {
        return _CONSENT;
    }

    /// @inheritdoc IClaimEscrow
    function records() external view returns (IClaimsRecords) {
        return _RECORDS;
    }

    // ------------------------------------------------------------------ internal: claims

    /// @dev Checks a submission and adjudicates it. The policy, terms and rule are read once. The dedupe key
    ///      is (provider, policy, code, service date): the first line takes it; while it is held (not
    ///      voided), another line of the same service takes the line-derived id and is reviewed. A void and
    ///      resubmission keeps the appeal once only (the flag is read only then).
    function _submit(uint256 providerOrg, ClaimInput memory input) private returns (bytes32 claimId) {
        Policy memory policy = _book.policies[input.policyId];
        if (policy.planId == 0) revert ClaimsUnknownPolicy(input.policyId);
        if (input.serviceDate < policy.start || input.serviceDate >= policy.end) {
            revert ClaimsServiceOutsidePolicy(input.policyId, input.serviceDate);
        }
        if (input.serviceDate > block.timestamp) revert ClaimsServiceInFuture(input.serviceDate, block.timestamp);
        PlanTerms memory terms = _book.terms[policy.planId];
        uint256 filingDeadline;
        unchecked {
            filingDeadline = uint256(input.serviceDate) + terms.timelyFilingWindow; // uint64 + uint32
        }
        if (block.timestamp > filingDeadline) revert ClaimsFilingWindowClosed(input.serviceDate, filingDeadline);
        ReviewReason reason = ReviewReason.AboveThreshold;
        claimId = _claimId(providerOrg, input.policyId, input.codeHash, input.serviceDate);
        ClaimStatus from = _claims[claimId].status;
        if (from != ClaimStatus.None && from != ClaimStatus.Voided) {
            reason = ReviewReason.RepeatService;
            claimId = _repeatClaimId(providerOrg, input.policyId, input.codeHash, input.serviceDate, input.lineRef);
            from = _claims[claimId].status;
            if (from != ClaimStatus.None && from != ClaimStatus.Voided) revert ClaimsDuplicate(claimId);
        }
        uint8 flags = from == ClaimStatus.Voided ? _claims[claimId].flags & _FLAG_APPEALED : 0;
        CodeRule memory rule = _book.rules[policy.planId][input.codeHash];
        if (rule.preauthRequired && _book.preauths[input.policyId][providerOrg][input.codeHash] < input.serviceDate) {
            revert ClaimsPreauthorizationRequired(input.policyId, providerOrg, input.codeHash);
        }
        address payout = _payouts[providerOrg];
        if (payout == address(0)) revert ClaimsNoPayoutAddress(providerOrg);
        if (!_CONSENT.hasAccess(policy.patientId, policy.insurerOrg, _SCOPE_BILLING, _ACTION_READ, _PURPOSE_PAYMENT)) {
            revert ClaimsNoPaymentConsent(input.policyId);
        }
        _checkTiedToService(providerOrg, input.policyId, policy.patientId, input.evidenceRecordId);
        _adjudicate(
            Context({
                claimId: claimId,
                policyId: input.policyId,
                insurerOrg: policy.insurerOrg,
                codeHash: input.codeHash,
                lineRef: input.lineRef,
                serviceDate: input.serviceDate,
                amount: input.amount,
                year: _policyYear(input.serviceDate, policy.start),
                from: from,
                flags: flags,
                reason: reason,
                payout: payout
            }),
            terms,
            rule
        );
    }

    /// @dev The policy year of `serviceDate`. It is inside the policy period (checked), which bindPolicy
    ///      bounds to MAX_POLICY_YEARS: no underflow, and the year fits a uint8.
    function _policyYear(uint64 serviceDate, uint40 start) private pure returns (uint8) {
        unchecked {
            return uint8((serviceDate - start) / PlanBook.POLICY_YEAR);
        }
    }

    /// @dev Adjudicates by DESIGN §6, emits the explanation of benefits, books the accumulators, then pays
    ///      at once (below the threshold, never on appeal) or opens a review.
    function _adjudicate(Context memory ctx, PlanTerms memory terms, CodeRule memory rule) private {
        Accumulators memory acc = _accumulators[ctx.policyId][ctx.year];
        (bool covered, ExplanationOfBenefits memory eob) = Adjudication.adjudicate(ctx.amount, rule, terms, acc);
        emit ClaimSubmitted(
            ctx.claimId,
            ctx.policyId,
            _providerOf(ctx.claimId),
            ctx.codeHash,
            ctx.lineRef,
            ctx.serviceDate,
            eob
        );
        // Every result is <= amount (a uint40): the narrowing casts below cannot truncate.
        Claim memory c = Claim({
            status: ctx.from,
            flags: ctx.flags,
            year: ctx.year,
            reviewDeadline: 0,
            submitted: ctx.amount,
            benefit: uint40(eob.benefit),
            deductible: uint40(eob.deductible),
            patientShare: uint40(eob.patientResponsibility),
            notCovered: uint40(eob.notCovered)
        });
        if (!covered) {
            // Not covered: denied, and an appeal could only give the same answer (plans are frozen).
            c.status = ClaimLifecycle.transition(ctx.claimId, ctx.from, ClaimStatus.Denied);
            c.flags |= _FLAG_APPEALED;
            _claims[ctx.claimId] = c;
            emit ClaimDenied(ctx.claimId, REASON_NOT_COVERED);
            return;
        }
        // Accumulators stay within their uint48 limits: Adjudication caps D, S and R by the room left, so
        // each sum is at most its plan limit and cannot overflow.
        unchecked {
            _accumulators[ctx.policyId][ctx.year] = Accumulators({
                deductibleMet: acc.deductibleMet + c.deductible,
                outOfPocketPaid: acc.outOfPocketPaid + c.patientShare,
                benefitUsed: acc.benefitUsed + c.benefit
            });
        }
        // Only a first line below the threshold is paid at once: a repeat is reviewed (an appeal too, in
        // PlanBook.appeal).
        if (ctx.reason == ReviewReason.AboveThreshold && ctx.amount < terms.autoApproveThreshold) {
            _settle(ctx.claimId, c, ctx.insurerOrg, c.benefit, ctx.payout);
            return;
        }
        _openReview(ctx, c, terms.reviewWindow);
    }

    /// @dev Puts claim `c` under review for `reviewWindow`, reserving its benefit when free funds allow.
    function _openReview(Context memory ctx, Claim memory c, uint32 reviewWindow) private {
        c.status = ClaimLifecycle.transition(ctx.claimId, ctx.from, ClaimStatus.Pending);
        // The window is at most MAX_REVIEW_WINDOW (createPlan); a deadline past 2106 reverts, never wraps.
        c.reviewDeadline = SafeCast.toUint32(block.timestamp + reviewWindow);
        Escrow memory escrow = _money.escrows[ctx.insurerOrg];
        bool reserved = escrow.free >= c.benefit;
        if (reserved) {
            escrow.free -= c.benefit;
            escrow.reserved += c.benefit;
            _money.escrows[ctx.insurerOrg] = escrow;
            c.flags |= _FLAG_RESERVED;
        }
        _claims[ctx.claimId] = c;
        emit ClaimReviewOpened(ctx.claimId, c.reviewDeadline, reserved, ctx.reason);
    }

    /// @dev Pays claim `c` (its `benefit` is what the insurer pays; `ruleBenefit` what was reserved) to
    ///      `payout`: the benefit from escrow (else owed), the patient's due from its deposit (else owed), in
    ///      one push. The escrow's slot is read and written once.
    function _settle(bytes32 claimId, Claim memory c, uint256 insurerOrg, uint256 ruleBenefit, address payout) private {
        uint256 benefitPaid = c.benefit;
        ClaimStatus to = ClaimStatus.Paid;
        if (c.flags & _FLAG_RESERVED != 0) {
            Escrow memory escrow = _money.escrows[insurerOrg];
            escrow.reserved -= uint128(ruleBenefit);
            escrow.free += uint128(ruleBenefit - benefitPaid);
            _money.escrows[insurerOrg] = escrow;
            c.flags &= ~_FLAG_RESERVED;
        } else if (benefitPaid != 0) {
            Escrow memory escrow = _money.escrows[insurerOrg];
            if (escrow.free >= benefitPaid) {
                unchecked {
                    escrow.free -= uint128(benefitPaid); // just checked
                }
                _money.escrows[insurerOrg] = escrow;
            } else {
                // Owed: never withdrawable by the insurer until paid (Treasury.executeWithdrawal).
                _money.owed[insurerOrg] += benefitPaid;
                benefitPaid = 0;
                to = ClaimStatus.Owed;
            }
        }
        uint256 due;
        unchecked {
            due = uint256(c.patientShare) + c.notCovered; // two uint40
        }
        uint256 patientPaid;
        if (due != 0) {
            if (Treasury.drawPatient(_money, _policyOf(claimId), _providerOf(claimId), due)) {
                patientPaid = due;
            } else {
                c.flags |= _FLAG_PATIENT_OWED;
            }
        }
        c.status = ClaimLifecycle.transition(claimId, c.status, to);
        _claims[claimId] = c;
        uint256 paid;
        unchecked {
            paid = benefitPaid + patientPaid; // two sums of uint40
        }
        _money.liabilities -= uint248(paid); // paid <= 2 * 2^40
        emit ClaimSettled(claimId, c.benefit, benefitPaid, patientPaid);
        Treasury.push(_money, _TOKEN, payout, paid);
    }

    /// @dev Voids the caller's pending claim, releasing what it held.
    function _void(bytes32 claimId, uint256 providerOrg) private {
        uint256 owner = _providerOf(claimId);
        if (owner != providerOrg) revert ClaimsWrongOrganization(owner, providerOrg);
        Claim memory c = _claims[claimId];
        c.status = ClaimLifecycle.transition(claimId, c.status, ClaimStatus.Voided);
        _release(claimId, c, _book.policies[_policyOf(claimId)].insurerOrg);
        c.flags &= ~_FLAG_RESERVED;
        _claims[claimId] = c;
        emit ClaimVoided(claimId);
    }

    /// @dev Gives back a pending claim's accumulator headroom and escrow reservation.
    function _release(bytes32 claimId, Claim memory c, uint256 insurerOrg) private {
        Accumulators storage acc = _accumulators[_policyOf(claimId)][c.year];
        acc.deductibleMet -= c.deductible;
        acc.outOfPocketPaid -= c.patientShare;
        acc.benefitUsed -= c.benefit;
        if (c.flags & _FLAG_RESERVED != 0) {
            Escrow storage escrow = _money.escrows[insurerOrg];
            escrow.reserved -= c.benefit;
            escrow.free += c.benefit;
        }
    }

    /// @dev Checks the caller is the insurer of a pending claim still in its review window; returns it.
    function _reviewable(bytes32 claimId, Claim memory c, ClaimStatus to) private view returns (uint256 insurerOrg) {
        if (c.status != ClaimStatus.Pending) revert ClaimsInvalidTransition(claimId, c.status, to);
        insurerOrg = _book.policies[_policyOf(claimId)].insurerOrg;
        _checkInsurerOf(insurerOrg);
        if (block.timestamp > c.reviewDeadline) revert ClaimsReviewWindowClosed(claimId, c.reviewDeadline);
    }

    /// @dev A first line's id, the dedupe key: policyId (48 bits) | providerOrg (48 bits) | 160 bits of
    ///      keccak256(code, service date).
    function _claimId(
        uint256 providerOrg,
        uint256 policyId,
        bytes32 codeHash,
        uint64 serviceDate
    ) private pure returns (bytes32) {
        return _packClaimId(providerOrg, policyId, keccak256(abi.encode(codeHash, serviceDate)));
    }

    /// @dev A repeat line's id: as `_claimId` with keccak256(code, service date, line) (a different
    ///      preimage length, so it never equals a first line's id).
    function _repeatClaimId(
        uint256 providerOrg,
        uint256 policyId,
        bytes32 codeHash,
        uint64 serviceDate,
        bytes32 lineRef
    ) private pure returns (bytes32) {
        return _packClaimId(providerOrg, policyId, keccak256(abi.encode(codeHash, serviceDate, lineRef)));
    }

    function _packClaimId(uint256 providerOrg, uint256 policyId, bytes32 low) private pure returns (bytes32) {
        // policyId <= the policy counter and providerOrg (SafeCast) fit their 48 bits.
        return
            bytes32(
                (policyId << 208) | (uint256(SafeCast.toUint48(providerOrg)) << 160) | uint256(uint160(uint256(low)))
            );
    }

    function _policyOf(bytes32 claimId) private pure returns (uint256) {
        return uint256(claimId) >> 208;
    }

    function _providerOf(bytes32 claimId) private pure returns (uint256) {
        return uint48(uint256(claimId) >> 160);
    }

    /// @dev The evidence is a live record of the policy's patient, and the patient's data ties the provider
    ///      to it: it is the record's custodian (one comparison with what the record check returns), or it
    ///      holds the patient's TREATMENT grant for the record's category (asked only then).
    function _checkTiedToService(
        uint256 providerOrg,
        uint256 policyId,
        uint256 patientId,
        bytes32 recordId
    ) private view {
        (uint64 custodianOrg, uint8 category, IRecordRegistry.RecordStatus status, bool ofPatient) = _RECORDS.recordFor(
            recordId,
            patientId
        );
        if (status != IRecordRegistry.RecordStatus.Live || !ofPatient) revert ClaimsEvidenceNotLive(recordId);
        if (
            custodianOrg != providerOrg &&
            !_CONSENT.hasAccess(patientId, providerOrg, Scopes.bit(category), _ACTION_READ, _PURPOSE_TREATMENT)
        ) revert ClaimsProviderNotTiedToService(providerOrg, policyId, recordId);
    }

    // ------------------------------------------------------------------ internal: pause

    /// @dev The pause flag lives in the money book's first slot, next to the liabilities total (see
    ///      `Treasury.Store`); Pausable's own flag is unused. Modifiers, errors and events are Pausable's.
    function paused() public view override returns (bool) {
        return _money.paused;
    }

    function _pause() internal override whenNotPaused {
        _money.paused = true;
        emit Paused(_msgSender());
    }

    function _unpause() internal override whenPaused {
        _money.paused = false;
        emit Unpaused(_msgSender());
    }

    // ------------------------------------------------------------------ internal: who

    /// @dev The caller's organisation: an active Insurer holding INSURE.
    function _checkInsurer() private view returns (uint256 orgId) {
        IIdentityRegistry.OrgKind kind;
        uint32 capabilities;
        (orgId, kind, capabilities) = _IDENTITY.activeRoleOf(msg.sender);
        if (orgId == 0 || kind != IIdentityRegistry.OrgKind.Insurer || capabilities & Capabilities.INSURE == 0) {
            if (orgId == 0) _requireActiveOrganization();
            revert ClaimsNotInsurer(msg.sender);
        }
    }

    function _checkInsurerOf(uint256 expectedOrg) private view {
        uint256 orgId = _checkInsurer();
        if (orgId != expectedOrg) revert ClaimsWrongOrganization(expectedOrg, orgId);
    }

    /// @dev The caller's organisation: active and holding BILL.
    function _checkProvider() private view returns (uint256 orgId) {
        uint32 capabilities;
        (orgId, , capabilities) = _IDENTITY.activeRoleOf(msg.sender);
        if (orgId == 0 || capabilities & Capabilities.BILL == 0) {
            if (orgId == 0) _requireActiveOrganization();
            revert ClaimsNotProvider(msg.sender);
        }
    }

    /// @dev Refusal path only (`activeRoleOf` answered 0): the registry reverts naming the caller's
    ///      organisation and why (`IdentityOrganizationNotActive` / `IdentityOrganizationExpired`); it
    ///      returns when the caller operates for no organisation, and the caller's own error follows.
    function _requireActiveOrganization() private view {
        _IDENTITY.requireActiveOrganization(msg.sender);
    }

    function _patientOfPolicy(uint256 policyId) private view returns (uint256 patientId) {
        patientId = _book.policies[policyId].patientId;
        if (patientId == 0) revert ClaimsUnknownPolicy(policyId);
    }

    function _checkPatientActor(address account, uint256 patientId) private view {
        if (!_IDENTITY.canActForPatient(account, patientId)) revert ClaimsNotAuthorizedForPatient(account, patientId);
    }

    function _useNonce(uint256 patientId) private returns (uint256) {
        return _nonces[patientId]++;
    }

    function _checkSignature(
        address signer,
        bytes32 structHash,
        uint256 deadline,
        bytes calldata signature
    ) private view {
        Treasury.checkSignature(signer, _hashTypedDataV4(structHash), deadline, signature);
    }
}
