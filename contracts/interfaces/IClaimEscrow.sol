// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IClaimsConsent} from "./IClaimsConsent.sol";
import {IClaimsRecords} from "./IClaimsRecords.sol";
import {IIdentityRegistry} from "./IIdentityRegistry.sol";

/// @title IClaimEscrow
/// @notice Medical payments and insurance claims paid from escrow by rules (DESIGN.md §6). Insurers
///         publish plans (per salted procedure-code hash: coverage rate, cap, co-pay, pre-authorisation;
///         per plan: deductible, out-of-pocket maximum, annual limit, auto-approve threshold, review and
///         timely-filing windows), bind patients to them as policies, and fund an ERC-20 escrow. Providers
///         submit claims backed by a live record anchor; a claim below the threshold is adjudicated and
///         paid in the same transaction, a larger one waits for the insurer's review (prompt pay after
///         the window). Claim events speak of the policy, never of the patient.
/// @dev Amounts are token base units. A claim's amounts are `uint40` (2^40 - 1 base units: $1.09M of a
///      6-decimal stablecoin; a larger bill is split into lines) and plan limits and accumulators `uint48`,
///      so a claim is one storage slot. A claim id carries its policy and provider (see `submitClaim`).
interface IClaimEscrow {
    // ------------------------------------------------------------------ types

    /// @notice Lifecycle of a claim. Voided frees its dedupe key for a corrected resubmission.
    enum ClaimStatus {
        None,
        Pending,
        Denied,
        Paid,
        Owed,
        Voided
    }

    /// @notice Why a claim waits for the insurer's review (in `ClaimReviewOpened`).
    /// @param AboveThreshold Its submitted amount is at least the plan's auto-approve threshold.
    /// @param RepeatService A line of the same provider, policy, code and service date exists already:
    ///        a repeat is never paid at once (X12 CARC 18 territory: the insurer decides whether it duplicates).
    /// @param Appeal The provider appealed a denial.
    enum ReviewReason {
        AboveThreshold,
        RepeatService,
        Appeal
    }

    /// @notice A plan's per-plan terms (one storage slot). Immutable once a policy is bound to it.
    /// @param deductible Amount the patient pays per policy year before coinsurance starts.
    /// @param outOfPocketMax Most the patient pays per policy year (co-pays, deductible, coinsurance).
    /// @param annualLimit Most the plan pays per policy year.
    /// @param autoApproveThreshold Claims of a submitted amount below it are paid at once; others reviewed.
    /// @param reviewWindow Seconds the insurer has to decide a claim under review (1 .. 180 days).
    /// @param timelyFilingWindow Seconds after the service date within which a claim may be filed
    ///        (1 .. 3 * 365 days).
    struct PlanTerms {
        uint48 deductible;
        uint48 outOfPocketMax;
        uint48 annualLimit;
        uint48 autoApproveThreshold;
        uint32 reviewWindow;
        uint32 timelyFilingWindow;
    }

    /// @notice Coverage of one procedure code under a plan (one slot). The code is a hash salted per
    ///         plan: `keccak256(abi.encode(planSalt, code))`.
    /// @param rateBps Coinsurance the plan pays, in basis points (<= 10,000).
    /// @param cap Per-claim eligible amount.
    /// @param copay Flat co-pay per claim.
    /// @param preauthRequired Whether a claim needs the insurer's pre-authorisation covering its service date.
    /// @param covered Whether the code is covered at all (false: claims are denied, reason 96).
    struct CodeRule {
        uint16 rateBps;
        uint48 cap;
        uint48 copay;
        bool preauthRequired;
        bool covered;
    }

    /// @notice A patient bound to a plan for a period `[start, end)`.
    struct Policy {
        uint256 patientId;
        uint64 planId;
        uint64 insurerOrg;
        uint40 start;
        uint40 end;
    }

    /// @notice What a policy year has consumed (claims under review included: their headroom is reserved).
    struct Accumulators {
        uint48 deductibleMet;
        uint48 outOfPocketPaid;
        uint48 benefitUsed;
    }

    /// @notice A claim's adjudication and state (one slot). `benefit` is what the insurer pays (the rule
    ///         amount while pending, the approved amount after); the patient owes `patientShare + notCovered`.
    /// @param reviewDeadline End of the insurer's review window (unix seconds; uint32 lasts until 2106).
    struct Claim {
        ClaimStatus status;
        uint8 flags;
        uint8 year;
        uint32 reviewDeadline;
        uint40 submitted;
        uint40 benefit;
        uint40 deductible;
        uint40 patientShare;
        uint40 notCovered;
    }

    /// @notice Explanation of benefits with the FHIR ClaimResponse adjudication categories (CARIN BB).
    /// @param submitted What the provider billed.
    /// @param eligible What the plan recognises (min(submitted, cap)); the rest is the provider's write-off.
    /// @param copay Flat co-pay.
    /// @param deductible Part applied to the deductible.
    /// @param benefit What the insurer pays.
    /// @param patientResponsibility Co-pay + deductible + coinsurance, after the out-of-pocket maximum.
    /// @param notCovered Beyond the annual limit: the patient's, not counted towards the out-of-pocket maximum.
    struct ExplanationOfBenefits {
        uint256 submitted;
        uint256 eligible;
        uint256 copay;
        uint256 deductible;
        uint256 benefit;
        uint256 patientResponsibility;
        uint256 notCovered;
    }

    /// @notice An insurer's escrow: free funds and funds reserved for claims under review.
    struct Escrow {
        uint128 free;
        uint128 reserved;
    }

    /// @notice A requested withdrawal of free funds, executable from `executableAt`.
    struct Withdrawal {
        uint128 amount;
        uint64 executableAt;
    }

    /// @notice A claim as submitted (the dedupe key is provider, policy, code and service date; `lineRef`
    ///         tells a repeat line apart, see `submitClaim`).
    struct ClaimInput {
        uint256 policyId;
        bytes32 codeHash;
        bytes32 lineRef;
        uint40 amount;
        uint64 serviceDate;
        bytes32 evidenceRecordId;
    }

    // ------------------------------------------------------------------ events

    /// @notice An insurer created a plan.
    event PlanCreated(uint256 indexed planId, uint256 indexed insurerOrg, PlanTerms terms);
    /// @notice A procedure code's coverage under a plan was set.
    event CodeRuleSet(uint256 indexed planId, bytes32 indexed codeHash, CodeRule rule);
    /// @notice A patient was bound to a plan (the patient is not named: claims speak of the policy).
    event PolicyBound(
        uint256 indexed policyId,
        uint256 indexed planId,
        uint256 indexed insurerOrg,
        uint40 start,
        uint40 end
    );
    /// @notice The insurer pre-authorised `codeHash` under `policyId` for services by `providerOrg` up to
    ///         `validUntil` (a pre-authorisation serves only the provider it was given for).
    event PreauthorizationGranted(
        uint256 indexed policyId,
        uint256 indexed providerOrg,
        bytes32 indexed codeHash,
        uint40 validUntil
    );
    /// @notice `from` funded `insurerOrg`'s escrow.
    event EscrowDeposited(uint256 indexed insurerOrg, address indexed from, uint256 amount);
    /// @notice The insurer asked to withdraw free funds after the notice period; the request lapses after
    ///         `lapsesAt`.
    event WithdrawalRequested(uint256 indexed insurerOrg, uint256 amount, uint64 executableAt, uint64 lapsesAt);
    /// @notice The insurer cancelled its pending withdrawal.
    event WithdrawalCancelled(uint256 indexed insurerOrg);
    /// @notice The insurer's withdrawal was paid to `to`.
    event WithdrawalExecuted(uint256 indexed insurerOrg, address indexed to, uint256 amount);
    /// @notice A provider organisation set where its payments go.
    event PayoutAddressSet(uint256 indexed providerOrg, address indexed payout);
    /// @notice A provider submitted a claim; `eob` is its adjudication by the plan's rules (FHIR categories;
    ///         all zero but `submitted` when the code is not covered, which a `ClaimDenied` follows).
    event ClaimSubmitted(
        bytes32 indexed claimId,
        uint256 indexed policyId,
        uint256 indexed providerOrg,
        bytes32 codeHash,
        bytes32 lineRef,
        uint64 serviceDate,
        ExplanationOfBenefits eob
    );
    /// @notice A claim awaits the insurer's review until `reviewDeadline` for `reason`; its benefit and
    ///         accumulator headroom are held (and its escrow, when `reserved`).
    event ClaimReviewOpened(bytes32 indexed claimId, uint32 reviewDeadline, bool reserved, ReviewReason reason);
    /// @notice A reviewed claim was approved (by the insurer, or by prompt pay after the window).
    event ClaimApproved(bytes32 indexed claimId, uint256 approvedBenefit, uint256 ruleBenefit, bool promptPay);
    /// @notice A claim was denied (reason code as X12 CARC; 96 = not covered by the plan).
    event ClaimDenied(bytes32 indexed claimId, uint16 reasonCode);
    /// @notice The provider appealed a denial; `eob` is its new adjudication (against the accumulators of
    ///         the day). A `ClaimReviewOpened` follows.
    event ClaimAppealed(bytes32 indexed claimId, ExplanationOfBenefits eob);
    /// @notice The provider voided a claim under review.
    event ClaimVoided(bytes32 indexed claimId);
    /// @notice A claim was settled with final `benefit` (its explanation of benefits is the one adjudicated,
    ///         with this benefit; a reduction on approval is the provider's write-off), paying the insurer's
    ///         `benefitPaid` now (0 when owed) and the patient's `patientPaid` from its deposit (0 when owed
    ///         or nothing is due).
    event ClaimSettled(bytes32 indexed claimId, uint256 benefit, uint256 benefitPaid, uint256 patientPaid);
    /// @notice An owed benefit was paid once escrow allowed.
    event OwedBenefitPaid(bytes32 indexed claimId, uint256 amount);
    /// @notice An owed patient share was collected from the patient's deposit.
    event PatientShareCollected(bytes32 indexed claimId, uint256 amount);
    /// @notice A push to `payee` failed; the amount is now a credit it withdraws.
    event PaymentCredited(address indexed payee, uint256 amount);
    /// @notice `payee` withdrew its credit to `to`.
    event CreditWithdrawn(address indexed payee, address indexed to, uint256 amount);
    /// @notice `from` funded a patient's deposit.
    event PatientDeposited(uint256 indexed patientId, address indexed from, uint256 amount);
    /// @notice The patient withdrew from its deposit.
    event PatientDepositWithdrawn(uint256 indexed patientId, address indexed to, uint256 amount);
    /// @notice The policy's patient set aside `cap` of its deposit for `providerOrg`'s patient shares under
    ///         `policyId` (the patient is not named).
    event ProviderAuthorized(uint256 indexed policyId, uint256 indexed providerOrg, uint256 cap);
    /// @notice ADMIN swept tokens sent to the escrow outside its accounting.
    event SurplusSwept(address indexed to, uint256 amount);

    // ------------------------------------------------------------------ errors

    /// @notice `account` does not operate for an active Insurer holding INSURE.
    error ClaimsNotInsurer(address account);
    /// @notice `account` does not operate for an active organisation holding BILL.
    error ClaimsNotProvider(address account);
    /// @notice The caller's organisation `callerOrg` is not `expectedOrg`, which owns the plan, policy or claim.
    error ClaimsWrongOrganization(uint256 expectedOrg, uint256 callerOrg);
    /// @notice No plan `planId`.
    error ClaimsUnknownPlan(uint256 planId);
    /// @notice Plan `planId` has a bound policy: it cannot change (a new version is a new plan).
    error ClaimsPlanLocked(uint256 planId);
    /// @notice Review and timely-filing windows must be non-zero.
    error ClaimsInvalidWindows(uint32 reviewWindow, uint32 timelyFilingWindow);
    /// @notice A review window of `reviewWindow` seconds exceeds the bound `maxReviewWindow`.
    error ClaimsReviewWindowTooLong(uint32 reviewWindow, uint32 maxReviewWindow);
    /// @notice A timely-filing window of `timelyFilingWindow` seconds exceeds the bound `maxFilingWindow`.
    error ClaimsFilingWindowTooLong(uint32 timelyFilingWindow, uint32 maxFilingWindow);
    /// @notice A coverage rate is at most 10,000 bps: `codeHash` has `rateBps`.
    error ClaimsInvalidRate(bytes32 codeHash, uint16 rateBps);
    /// @notice `codes` code hashes but `rules` rules.
    error ClaimsLengthMismatch(uint256 codes, uint256 rules);
    /// @notice No patient `patientId` in the identity registry.
    error ClaimsUnknownPatient(uint256 patientId);
    /// @notice A policy period is `[start, end)` with start < end and at most 255 policy years.
    error ClaimsInvalidPolicyPeriod(uint40 start, uint40 end);
    /// @notice No policy `policyId`.
    error ClaimsUnknownPolicy(uint256 policyId);
    /// @notice `serviceDate` is outside the period of `policyId`.
    error ClaimsServiceOutsidePolicy(uint256 policyId, uint64 serviceDate);
    /// @notice `serviceDate` is after now (`nowTs`).
    error ClaimsServiceInFuture(uint64 serviceDate, uint256 nowTs);
    /// @notice The timely-filing window for `serviceDate` closed at `filingDeadline`.
    error ClaimsFilingWindowClosed(uint64 serviceDate, uint256 filingDeadline);
    /// @notice Claim `claimId` (the repeat line of provider, policy, code, service date and line) exists
    ///         already.
    error ClaimsDuplicate(bytes32 claimId);
    /// @notice `codeHash` needs a pre-authorisation under `policyId`, given for `providerOrg`, covering the
    ///         service date.
    error ClaimsPreauthorizationRequired(uint256 policyId, uint256 providerOrg, bytes32 codeHash);
    /// @notice The patient's data does not tie `providerOrg` to the service claimed under `policyId`: it is
    ///         not the custodian of the evidence `recordId` and holds no grant of the patient for the
    ///         record's category, purpose TREATMENT.
    error ClaimsProviderNotTiedToService(uint256 providerOrg, uint256 policyId, bytes32 recordId);
    /// @notice `providerOrg` has set no payout address.
    error ClaimsNoPayoutAddress(uint256 providerOrg);
    /// @notice The patient of `policyId` has not granted the insurer purpose PAYMENT.
    error ClaimsNoPaymentConsent(uint256 policyId);
    /// @notice `recordId` is not a live record anchor of the policy's patient.
    error ClaimsEvidenceNotLive(bytes32 recordId);
    /// @notice Claim `claimId` cannot move from `from` to `to`.
    error ClaimsInvalidTransition(bytes32 claimId, ClaimStatus from, ClaimStatus to);
    /// @notice The review window of `claimId` closed at `reviewDeadline`: it settles by prompt pay.
    error ClaimsReviewWindowClosed(bytes32 claimId, uint32 reviewDeadline);
    /// @notice The review window of `claimId` runs until `reviewDeadline`.
    error ClaimsReviewWindowOpen(bytes32 claimId, uint32 reviewDeadline);
    /// @notice An approval of `approved` exceeds the rule amount `ruleBenefit` of `claimId`.
    error ClaimsApprovalExceedsRules(bytes32 claimId, uint256 approved, uint256 ruleBenefit);
    /// @notice `claimId` was appealed already (or cannot be: not covered by the plan).
    error ClaimsAlreadyAppealed(bytes32 claimId);
    /// @notice The claim inputs given do not hash to `claimId`.
    error ClaimsClaimMismatch(bytes32 claimId);
    /// @notice `insurerOrg` has `free` free funds; `needed` are needed.
    error ClaimsInsufficientEscrow(uint256 insurerOrg, uint256 free, uint256 needed);
    /// @notice `claimId` has no patient share owed.
    error ClaimsNoPatientShareOwed(bytes32 claimId);
    /// @notice The patient's earmark for the provider of `claimId` does not cover `needed`.
    error ClaimsPatientShareUnavailable(bytes32 claimId, uint256 needed);
    /// @notice The token delivered `received` of the `expected` amount: fee-on-transfer tokens are refused.
    error ClaimsFeeOnTransfer(uint256 expected, uint256 received);
    /// @notice Amounts moved must be non-zero.
    error ClaimsZeroAmount();
    /// @notice The zero address cannot receive funds.
    error ClaimsZeroAddress();
    /// @notice `insurerOrg` has no pending withdrawal.
    error ClaimsNoWithdrawalPending(uint256 insurerOrg);
    /// @notice The withdrawal of `insurerOrg` executes only from `executableAt`.
    error ClaimsWithdrawalNotReady(uint256 insurerOrg, uint64 executableAt);
    /// @notice The withdrawal of `insurerOrg`, executable from `executableAt`, lapsed after `lapsesAt`
    ///         (now `nowTs`): a new request, with its notice, is needed.
    error ClaimsWithdrawalLapsed(uint256 insurerOrg, uint64 executableAt, uint64 lapsesAt, uint256 nowTs);
    /// @notice `insurerOrg` has `free` free funds of which `owed` are owed on claims: `amount` cannot be
    ///         withdrawn (only `free - owed`).
    error ClaimsWithdrawalTakesOwed(uint256 insurerOrg, uint256 free, uint256 owed, uint256 amount);
    /// @notice The deposit of `patientId` holds `balance`; `needed` are needed.
    error ClaimsInsufficientDeposit(uint256 patientId, uint256 balance, uint256 needed);
    /// @notice `payee` has no credit.
    error ClaimsNoCredit(address payee);
    /// @notice The escrow holds no tokens beyond its accounting.
    error ClaimsNoSurplus();
    /// @notice The signature's deadline `deadline` passed (now `nowTs`).
    error ClaimsExpiredSignature(uint256 deadline, uint256 nowTs);
    /// @notice The signature is not `signer`'s over this message.
    error ClaimsInvalidSignature(address signer);
    /// @notice `account` is neither a controller nor a current guardian of `patientId`.
    error ClaimsNotAuthorizedForPatient(address account, uint256 patientId);

    // ------------------------------------------------------------------ ADMIN / PAUSER

    /// @notice Stops every write except a patient's deposit withdrawal and provider authorisation. PAUSER.
    function pause() external;

    /// @notice Resumes writes. ADMIN.
    function unpause() external;

    /// @notice Sends tokens held beyond free + reserved + credits + patient deposits to `to`. ADMIN.
    function sweepSurplus(address to) external;

    // ------------------------------------------------------------------ insurers

    /// @notice Creates a plan with its code rules. An operator of an active Insurer holding INSURE.
    /// @return planId The new plan's id (sequential, from 1).
    function createPlan(
        PlanTerms calldata terms,
        bytes32[] calldata codeHashes,
        CodeRule[] calldata rules
    ) external returns (uint256 planId);

    /// @notice Sets code rules of a plan no policy is bound to yet. The plan's insurer.
    function setCodeRules(uint256 planId, bytes32[] calldata codeHashes, CodeRule[] calldata rules) external;

    /// @notice Binds `patientId` to `planId` for `[start, end)`, locking the plan. The plan's insurer.
    /// @return policyId The new policy's id (sequential, from 1).
    function bindPolicy(
        uint256 planId,
        uint256 patientId,
        uint40 start,
        uint40 end
    ) external returns (uint256 policyId);

    /// @notice Pre-authorises `codeHash` under `policyId` for services by `providerOrg` dated up to
    ///         `validUntil` (0 revokes). It serves that provider only. The policy's insurer.
    function preauthorize(uint256 policyId, uint256 providerOrg, bytes32 codeHash, uint40 validUntil) external;

    /// @notice Funds the caller's insurer escrow with `amount` (pulled with `transferFrom`). Fee-on-transfer
    ///         tokens are refused.
    function deposit(uint128 amount) external;

    /// @notice Asks to withdraw `amount` of free funds after `WITHDRAWAL_NOTICE` (replaces an earlier
    ///         request). The funds stay free, so claims filed meanwhile are paid first. An active insurer,
    ///         or the operator of a revoked Insurer (its free funds are not locked forever).
    function requestWithdrawal(uint128 amount) external;

    /// @notice Cancels the caller's pending withdrawal. Same callers as `requestWithdrawal`.
    function cancelWithdrawal() external;

    /// @notice Executes the caller's pending withdrawal once due and before it lapses
    ///         (`WITHDRAWAL_WINDOW` after it became due), if free funds beyond what is owed on claims still
    ///         cover it. Same callers as `requestWithdrawal`.
    function executeWithdrawal(address to) external;

    /// @notice Approves a claim under review for `benefit` (at most the rule amount; a reduction is the
    ///         provider's write-off, never the patient's) and pays it. The policy's insurer, in the window.
    function approveClaim(bytes32 claimId, uint40 benefit) external;

    /// @notice Denies a claim under review with an X12 CARC reason code, releasing its reservations.
    ///         The policy's insurer, in the window.
    function denyClaim(bytes32 claimId, uint16 reasonCode) external;

    // ------------------------------------------------------------------ providers

    /// @notice Sets where the caller's provider organisation is paid.
    function setPayoutAddress(address payout) external;

    /// @notice Submits a claim. An operator of an active organisation holding BILL, within the plan's
    ///         timely-filing window; the evidence is a live record anchor of the policy's patient, who
    ///         granted the insurer purpose PAYMENT, and the patient's data ties the provider to it: the
    ///         provider is the record's custodian, or holds the patient's grant for the record's category,
    ///         purpose TREATMENT. Below the auto-approve threshold it is adjudicated and paid at once;
    ///         otherwise it waits for review. A repeat line (same provider, policy, code and service date
    ///         as an existing claim that is not voided) always waits for review (`ReviewReason.RepeatService`).
    /// @return claimId The first line's id `policyId << 208 | providerOrg << 160 |
    ///         uint160(keccak256(abi.encode(codeHash, serviceDate)))`, or, for a repeat line, the same with
    ///         `uint160(keccak256(abi.encode(codeHash, serviceDate, lineRef)))`.
    function submitClaim(
        uint256 policyId,
        bytes32 codeHash,
        bytes32 lineRef,
        uint40 amount,
        uint64 serviceDate,
        bytes32 evidenceRecordId
    ) external returns (bytes32 claimId);

    /// @notice Voids the caller's claim `oldClaimId` (under review) and submits `replacement` in its stead.
    function replaceClaim(bytes32 oldClaimId, ClaimInput calldata replacement) external returns (bytes32 claimId);

    /// @notice Voids the caller's claim under review, releasing its reservations. The claim's provider.
    function voidClaim(bytes32 claimId) external;

    /// @notice Appeals a denied claim once: it is adjudicated again (against today's accumulators) and
    ///         reviewed again. Only a Denied claim, never appealed before (a void and resubmission keeps
    ///         that mark). The claim's provider, giving the claim's code, line and service date.
    function appealClaim(bytes32 claimId, bytes32 codeHash, bytes32 lineRef, uint64 serviceDate) external;

    /// @notice Prompt pay: once the review window has passed, settles a claim under review at its rule
    ///         amount. Anyone (usually the provider).
    function settleClaim(bytes32 claimId) external;

    /// @notice Pays a claim's owed benefit from its insurer's free escrow. Anyone.
    function payOwed(bytes32 claimId) external;

    /// @notice Collects a claim's owed patient share from the patient's deposit, within the provider's
    ///         authorised cap. Anyone.
    function collectPatientShare(bytes32 claimId) external;

    /// @notice Withdraws the caller's credit (payments whose push failed) to `to`.
    function withdrawCredit(address to) external;

    // ------------------------------------------------------------------ patients

    /// @notice Funds `patientId`'s deposit with `amount` (pulled from the caller). Anyone.
    function depositForPatient(uint256 patientId, uint128 amount) external;

    /// @notice Withdraws `amount` of the patient's deposit to `to`. A controller or guardian; consumes a
    ///         nonce; works while paused.
    function withdrawPatientDeposit(uint256 patientId, uint128 amount, address to) external;

    /// @notice `withdrawPatientDeposit` by a controller's or guardian's EIP-712 signature, relayed by anyone.
    function withdrawPatientDepositWithSig(
        uint256 patientId,
        uint128 amount,
        address to,
        address signer,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /// @notice Lets `providerOrg` draw up to `cap` in total for patient shares of claims under `policyId`,
    ///         replacing any earlier cap (0 revokes): the cap is set aside from the patient's deposit (which
    ///         must cover an increase) and a decrease goes back to it. A controller or guardian of the
    ///         policy's patient; consumes the patient's nonce; works while paused.
    function authorizeProvider(uint256 policyId, uint256 providerOrg, uint128 cap) external;

    /// @notice `authorizeProvider` by a controller's or guardian's EIP-712 signature, relayed by anyone.
    function authorizeProviderWithSig(
        uint256 policyId,
        uint256 providerOrg,
        uint128 cap,
        address signer,
        uint256 deadline,
        bytes calldata signature
    ) external;

    // ------------------------------------------------------------------ views

    /// @notice A plan's terms, its insurer and whether a policy is bound to it.
    function getPlan(uint256 planId) external view returns (PlanTerms memory terms, uint256 insurerOrg, bool locked);

    /// @notice The rule of `codeHash` under `planId` (zero when none).
    function getCodeRule(uint256 planId, bytes32 codeHash) external view returns (CodeRule memory);

    /// @notice A policy (zero when none).
    function getPolicy(uint256 policyId) external view returns (Policy memory);

    /// @notice The accumulators of `policyId` for policy year `year` (0 = the first year).
    function accumulatorsOf(uint256 policyId, uint8 year) external view returns (Accumulators memory);

    /// @notice The end of the pre-authorisation of `codeHash` under `policyId` for `providerOrg` (0 when none).
    function preauthorizationOf(uint256 policyId, uint256 providerOrg, bytes32 codeHash) external view returns (uint40);

    /// @notice A claim's adjudication and state (zero when none).
    function getClaim(bytes32 claimId) external view returns (Claim memory);

    /// @notice An insurer's escrow.
    function escrowOf(uint256 insurerOrg) external view returns (Escrow memory);

    /// @notice What `insurerOrg` owes on claims settled Owed (not yet paid): never withdrawable.
    function owedOf(uint256 insurerOrg) external view returns (uint256);

    /// @notice An insurer's pending withdrawal (zero when none).
    function pendingWithdrawal(uint256 insurerOrg) external view returns (Withdrawal memory);

    /// @notice Where `providerOrg` is paid (zero when unset).
    function payoutAddressOf(uint256 providerOrg) external view returns (address);

    /// @notice The credit `payee` may withdraw.
    function creditOf(address payee) external view returns (uint256);

    /// @notice A patient's deposit not set aside for a provider.
    function patientDepositOf(uint256 patientId) external view returns (uint256);

    /// @notice What `providerOrg` may still draw for patient shares under `policyId` (set aside, funded).
    function authorizationOf(uint256 policyId, uint256 providerOrg) external view returns (uint256);

    /// @notice The next nonce of `patientId` here (what the next signature must cover).
    function nonces(uint256 patientId) external view returns (uint256);

    /// @notice What the escrow owes: free + reserved funds of every insurer, credits, patient deposits and
    ///         earmarks.
    function totalLiabilities() external view returns (uint256);

    /// @notice The escrow token.
    function token() external view returns (address);

    /// @notice Who is who (insurers, providers, patients and those who act for them).
    function identity() external view returns (IIdentityRegistry);

    /// @notice Patient consent (the insurer needs purpose PAYMENT).
    function consent() external view returns (IClaimsConsent);

    /// @notice Record anchors (a claim's evidence).
    function records() external view returns (IClaimsRecords);

    /// @notice Notice between requesting and executing an insurer withdrawal.
    function WITHDRAWAL_NOTICE() external view returns (uint64);

    /// @notice How long a matured withdrawal request stays executable before it lapses.
    function WITHDRAWAL_WINDOW() external view returns (uint64);
}
