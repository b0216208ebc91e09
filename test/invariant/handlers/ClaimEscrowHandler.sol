// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ClaimEscrow} from "../../../contracts/claims/ClaimEscrow.sol";
import {IClaimEscrow} from "../../../contracts/interfaces/IClaimEscrow.sol";
import {TestStablecoin} from "../../../contracts/mocks/TestStablecoin.sol";
import {Vm} from "../../utils/Vm.sol";

/// @notice Drives ClaimEscrow through realistic sequences (deposits, withdrawals, claims, reviews, appeals,
///         prompt pay, voids, owed payments, patient shares, sweeps), bounding inputs so actions succeed,
///         and keeps ghost records the invariants check against.
contract ClaimEscrowHandler {
    Vm private constant _VM = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);
    uint256 private constant _USD = 1e6;

    struct Meta {
        uint256 policyId;
        bytes32 codeHash;
        bytes32 lineRef;
        uint64 serviceDate;
        address provider;
        bytes32 recordId;
        uint256 ruleBenefit;
    }

    ClaimEscrow public escrow;
    TestStablecoin public token;
    address public insurer;
    address public patient;
    uint256 public patientId;
    uint256 public planId;
    address[2] public providers;
    uint256[2] public providerOrgs;
    address[2] public payouts;
    uint256[] public policies;
    bytes32[2] public codes;

    bytes32[] public claimIds;
    mapping(bytes32 claimId => Meta) private meta;
    mapping(bytes32 claimId => bool) public known;
    mapping(bytes32 claimId => uint256) public timesPaid;
    mapping(bytes32 claimId => IClaimEscrow.ClaimStatus) private _lastStatus;
    uint256 private _lines;

    // Ghosts of the money rules: what the insurer deposited and withdrew; whether a withdrawal ever left
    // less free funds than owed on claims; how often a provider with no tie to the patient's data tried to
    // claim, and whether it ever got a claim in.
    uint256 public deposited;
    uint256 public withdrawn;
    bool public withdrawalTookOwed;
    uint256 public rogueAttempts;
    bool public rogueClaimAccepted;
    bool public appealedTwice;
    address public rogue;
    bytes32[2] public records;

    // Ghost counters: actions called and actions that succeeded (every action is built to succeed; with
    // failOnRevert a revert fails the campaign, so called == ran is the check that inputs stay valid).
    mapping(string action => uint256) public called;
    mapping(string action => uint256) public ran;
    string[14] public actions = [
        "deposit",
        "withdraw",
        "submit",
        "approve",
        "deny",
        "appeal",
        "settle",
        "void",
        "payOwed",
        "patientFund",
        "collect",
        "sweep",
        "rogueSubmit",
        "withdrawOwed"
    ];

    constructor(
        ClaimEscrow escrow_,
        TestStablecoin token_,
        address insurer_,
        address patient_,
        uint256 patientId_,
        uint256 planId_,
        address[2] memory providers_,
        uint256[2] memory providerOrgs_,
        address[2] memory payouts_,
        uint256[2] memory policies_,
        bytes32[2] memory codes_
    ) {
        escrow = escrow_;
        token = token_;
        insurer = insurer_;
        patient = patient_;
        patientId = patientId_;
        planId = planId_;
        providers = providers_;
        providerOrgs = providerOrgs_;
        payouts = payouts_;
        policies.push(policies_[0]);
        policies.push(policies_[1]);
        codes = codes_;
    }

    /// @notice The evidence records providers cite, and the rogue provider's operator (set once, after
    ///         construction: the constructor's arguments would not fit the stack). Later calls (the fuzzer's)
    ///         change nothing.
    function setRecordsAndRogue(bytes32[2] memory records_, address rogue_) external {
        if (rogue != address(0)) return;
        records = records_;
        rogue = rogue_;
    }

    // ------------------------------------------------------------------ actions

    function deposit(uint256 amount) external {
        called["deposit"]++;
        _deposit(_bound(amount, 1, 20_000 * _USD));
        ran["deposit"]++;
    }

    function withdraw(uint256 amount) external {
        called["withdraw"]++;
        if (_withdrawable() == 0) _deposit(escrow.owedOf(1) + 1_000 * _USD);
        _withdraw(_bound(amount, 1, _withdrawable()));
        ran["withdraw"]++;
    }

    function submit(uint256 seed, uint256 amount) external {
        called["submit"]++;
        _submit(seed, _bound(amount, 1, 3_000 * _USD), policies[(seed >> 8) % policies.length]);
        ran["submit"]++;
    }

    function approve(uint256 seed, uint256 fraction) external {
        called["approve"]++;
        bytes32 id = _pending(seed);
        uint40 rule = escrow.getClaim(id).benefit;
        uint40 benefit = uint40((uint256(rule) * _bound(fraction, 0, 100)) / 100);
        _VM.prank(insurer);
        escrow.approveClaim(id, benefit);
        _observe(id);
        ran["approve"]++;
    }

    function deny(uint256 seed) external {
        called["deny"]++;
        _deny(_pending(seed));
        ran["deny"]++;
    }

    function appeal(uint256 seed) external {
        called["appeal"]++;
        (bytes32 id, bool found) = _find(seed, IClaimEscrow.ClaimStatus.Denied, false, true);
        if (!found) {
            (id, found) = _find(seed, IClaimEscrow.ClaimStatus.Pending, true, true);
            if (!found) id = _newPending(seed);
            _deny(id);
        }
        Meta storage m = meta[id];
        if (escrow.getClaim(id).flags & 1 != 0) {
            // Appealed before it was voided and filed again under the same id: the appeal stays once only.
            _VM.prank(m.provider);
            try escrow.appealClaim(id, m.codeHash, m.lineRef, m.serviceDate) {
                appealedTwice = true;
            } catch (bytes memory reason) {
                if (bytes4(reason) != IClaimEscrow.ClaimsAlreadyAppealed.selector) appealedTwice = true;
            }
        } else {
            _VM.prank(m.provider);
            escrow.appealClaim(id, m.codeHash, m.lineRef, m.serviceDate);
            m.ruleBenefit = escrow.getClaim(id).benefit;
        }
        _observe(id);
        ran["appeal"]++;
    }

    function settle(uint256 seed) external {
        called["settle"]++;
        (bytes32 id, bool found) = _find(seed, IClaimEscrow.ClaimStatus.Pending, false, false);
        if (!found) id = _pending(seed);
        uint32 deadline = escrow.getClaim(id).reviewDeadline;
        if (block.timestamp <= deadline) _VM.warp(uint256(deadline) + 1);
        escrow.settleClaim(id);
        _observe(id);
        ran["settle"]++;
    }

    function voidClaim(uint256 seed) external {
        called["void"]++;
        (bytes32 id, bool found) = _find(seed, IClaimEscrow.ClaimStatus.Pending, false, false);
        if (!found) id = _pending(seed);
        _VM.prank(meta[id].provider);
        escrow.voidClaim(id);
        _observe(id);
        ran["void"]++;
    }

    function payOwed(uint256 seed) external {
        called["payOwed"]++;
        (bytes32 id, bool found) = _find(seed, IClaimEscrow.ClaimStatus.Owed, false, false);
        if (!found) {
            // Nothing is owed: drain the free funds, then a full-rate claim on a fresh policy year is
            // approved but owed.
            uint256 free = _withdrawable();
            if (free > 0) _withdraw(free);
            id = _submit(seed | (1 << 16), 999 * _USD, _freshPolicy());
        }
        uint256 benefit = escrow.getClaim(id).benefit;
        uint256 freeNow = escrow.escrowOf(1).free;
        if (freeNow < benefit) _deposit(benefit - freeNow);
        escrow.payOwed(id);
        _observe(id);
        ran["payOwed"]++;
    }

    function patientFund(uint256 seed, uint256 amount) external {
        called["patientFund"]++;
        amount = _bound(amount, 1, 2_000 * _USD);
        _mintAndApprove(patient, amount);
        _VM.prank(patient);
        escrow.depositForPatient(patientId, uint128(amount));
        uint256 policyId = policies[seed % policies.length];
        uint256 org = providerOrgs[(seed >> 8) % 2];
        uint256 cap = escrow.authorizationOf(policyId, org) + escrow.patientDepositOf(patientId) / 2;
        _VM.prank(patient);
        escrow.authorizeProvider(policyId, org, uint128(cap));
        ran["patientFund"]++;
    }

    function collect(uint256 seed) external {
        called["collect"]++;
        bytes32 id = _patientOwed(seed);
        IClaimEscrow.Claim memory c = escrow.getClaim(id);
        uint256 due = uint256(c.patientShare) + c.notCovered;
        uint256 org = uint48(uint256(id) >> 160);
        uint256 policyId = uint256(id) >> 208;
        uint256 earmark = escrow.authorizationOf(policyId, org);
        if (earmark < due) {
            _mintAndApprove(patient, due - earmark);
            _VM.prank(patient);
            escrow.depositForPatient(patientId, uint128(due - earmark));
            _VM.prank(patient);
            escrow.authorizeProvider(policyId, org, uint128(due));
        }
        escrow.collectPatientShare(id);
        ran["collect"]++;
    }

    function sweep(uint256 amount) external {
        called["sweep"]++;
        amount = _bound(amount, 1, 1_000 * _USD);
        token.mint(address(escrow), amount);
        escrow.sweepSurplus(address(0xdead));
        ran["sweep"]++;
    }

    /// @notice The attack of issue #12 §1: an accredited provider with a payout address cites the patient's
    ///         record it neither holds nor has a grant for, under the threshold. Always refused.
    function rogueSubmit(uint256 seed, uint256 amount) external {
        called["rogueSubmit"]++;
        rogueAttempts++;
        uint256 policyId = policies[seed % policies.length];
        _VM.prank(rogue);
        try
            escrow.submitClaim(
                policyId,
                codes[(seed >> 8) % 2],
                keccak256(abi.encode("rogue", seed)),
                uint40(_bound(amount, 1, 999 * _USD)),
                uint64(block.timestamp - 1 days),
                records[(seed >> 16) % 2]
            )
        returns (bytes32) {
            rogueClaimAccepted = true;
        } catch (bytes memory reason) {
            if (bytes4(reason) != IClaimEscrow.ClaimsProviderNotTiedToService.selector) rogueClaimAccepted = true;
        }
        ran["rogueSubmit"]++;
    }

    /// @notice The insurer tries to withdraw money owed on claims (all its free funds while some is owed):
    ///         always refused with `ClaimsWithdrawalTakesOwed`; a refusal for another reason is recorded too.
    function withdrawOwed(uint256 seed) external {
        called["withdrawOwed"]++;
        uint256 owed = escrow.owedOf(1);
        uint256 free = escrow.escrowOf(1).free;
        if (owed != 0 && free != 0) {
            _VM.prank(insurer);
            escrow.requestWithdrawal(uint128(free - (seed % (owed < free ? owed : free))));
            _VM.warp(block.timestamp + escrow.WITHDRAWAL_NOTICE());
            _VM.prank(insurer);
            try escrow.executeWithdrawal(insurer) {
                withdrawalTookOwed = true;
            } catch (bytes memory reason) {
                bytes4 sel = bytes4(reason);
                if (sel != IClaimEscrow.ClaimsWithdrawalTakesOwed.selector) {
                    if (sel != IClaimEscrow.ClaimsInsufficientEscrow.selector) withdrawalTookOwed = true;
                }
            }
            _VM.prank(insurer);
            escrow.cancelWithdrawal();
        }
        ran["withdrawOwed"]++;
    }

    // ------------------------------------------------------------------ views for the invariants

    function recordOf(bytes32 id) external view returns (bytes32) {
        return meta[id].recordId;
    }

    function ruleBenefitOf(bytes32 id) external view returns (uint256) {
        return meta[id].ruleBenefit;
    }

    function claimCount() external view returns (uint256) {
        return claimIds.length;
    }

    function policyCount() external view returns (uint256) {
        return policies.length;
    }

    function actionCount() external view returns (uint256) {
        return actions.length;
    }

    // ------------------------------------------------------------------ internal

    function _withdrawable() private view returns (uint256) {
        uint256 free = escrow.escrowOf(1).free;
        uint256 owed = escrow.owedOf(1);
        return free > owed ? free - owed : 0;
    }

    /// @dev Counts each move into Paid (a claim is paid at most once over its life).
    function _observe(bytes32 id) private {
        IClaimEscrow.ClaimStatus status = escrow.getClaim(id).status;
        if (status == IClaimEscrow.ClaimStatus.Paid && _lastStatus[id] != IClaimEscrow.ClaimStatus.Paid) {
            timesPaid[id]++;
        }
        _lastStatus[id] = status;
    }

    /// @dev A claim in `status` starting from a seeded index; `inWindow` also requires its review window
    ///      open; `unappealed` requires it not appealed yet.
    function _find(
        uint256 seed,
        IClaimEscrow.ClaimStatus status,
        bool inWindow,
        bool unappealed
    ) private view returns (bytes32, bool) {
        uint256 n = claimIds.length;
        for (uint256 i = 0; i < n; ++i) {
            bytes32 id = claimIds[((seed % n) + i) % n];
            IClaimEscrow.Claim memory c = escrow.getClaim(id);
            if (c.status != status) continue;
            if (inWindow && block.timestamp > c.reviewDeadline) continue;
            if (unappealed && c.flags & 1 != 0) continue;
            return (id, true);
        }
        return (bytes32(0), false);
    }

    /// @dev A pending claim in its window: an existing one, or a new claim over the threshold.
    function _pending(uint256 seed) private returns (bytes32 id) {
        bool found;
        (id, found) = _find(seed, IClaimEscrow.ClaimStatus.Pending, true, false);
        if (!found) id = _newPending(seed);
    }

    function _newPending(uint256 seed) private returns (bytes32) {
        return _submit(seed, 1_000 * _USD + (seed % (2_000 * _USD)), policies[seed % policies.length]);
    }

    /// @dev A claim whose patient share is owed: an existing one, or a new small claim on a fresh policy
    ///      year (its deductible makes the share non-zero).
    function _patientOwed(uint256 seed) private returns (bytes32) {
        uint256 n = claimIds.length;
        for (uint256 i = 0; i < n; ++i) {
            bytes32 id = claimIds[((seed % n) + i) % n];
            if (escrow.getClaim(id).flags & 4 != 0) return id;
        }
        uint256 policyId = _freshPolicy();
        for (uint256 p = 0; p < 2; ++p) {
            _VM.prank(patient);
            escrow.authorizeProvider(policyId, providerOrgs[p], 0);
        }
        return _submit(seed, 100 * _USD, policyId);
    }

    function _submit(uint256 seed, uint256 amount, uint256 policyId) private returns (bytes32 id) {
        Meta memory m = Meta({
            policyId: policyId,
            codeHash: codes[(seed >> 16) % 2],
            lineRef: keccak256(abi.encode("line", ++_lines)),
            serviceDate: uint64(block.timestamp - 1 days),
            provider: providers[seed % 2],
            recordId: records[(seed >> 24) % 2],
            ruleBenefit: 0
        });
        _VM.prank(m.provider);
        id = escrow.submitClaim(m.policyId, m.codeHash, m.lineRef, uint40(amount), m.serviceDate, m.recordId);
        m.ruleBenefit = escrow.getClaim(id).benefit;
        meta[id] = m;
        if (!known[id]) {
            known[id] = true;
            claimIds.push(id);
        }
        _observe(id);
    }

    function _deny(bytes32 id) private {
        _VM.prank(insurer);
        escrow.denyClaim(id, 50);
        _observe(id);
    }

    function _deposit(uint256 amount) private {
        _mintAndApprove(insurer, amount);
        _VM.prank(insurer);
        escrow.deposit(uint128(amount));
        deposited += amount;
    }

    function _withdraw(uint256 amount) private {
        _VM.prank(insurer);
        escrow.requestWithdrawal(uint128(amount));
        _VM.warp(block.timestamp + escrow.WITHDRAWAL_NOTICE());
        _VM.prank(insurer);
        escrow.executeWithdrawal(insurer);
        withdrawn += amount;
        if (escrow.escrowOf(1).free < escrow.owedOf(1)) withdrawalTookOwed = true;
    }

    /// @dev A new policy of the patient from yesterday (fresh accumulators).
    function _freshPolicy() private returns (uint256 policyId) {
        _VM.prank(insurer);
        policyId = escrow.bindPolicy(
            planId,
            patientId,
            uint40(block.timestamp - 2 days),
            uint40(block.timestamp + 20 * 365 days)
        );
        policies.push(policyId);
    }

    function _mintAndApprove(address who, uint256 amount) private {
        token.mint(who, amount);
        _VM.prank(who);
        token.approve(address(escrow), amount);
    }

    function _bound(uint256 x, uint256 lo, uint256 hi) private pure returns (uint256) {
        if (x >= lo && x <= hi) return x;
        return lo + (x % (hi - lo + 1));
    }
}
