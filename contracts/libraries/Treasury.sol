// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {IClaimEscrow} from "../interfaces/IClaimEscrow.sol";
import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";
import {Capabilities} from "./Capabilities.sol";

/// @title Treasury
/// @notice ClaimEscrow's money book (insurer escrows and withdrawals, provider credits, patient deposits
///         and the amounts patients earmarked for providers, and the total owed) with the deposits and
///         withdrawals that move tokens in and out. A linked (external) library run by DELEGATECALL on
///         ClaimEscrow's storage, so `msg.sender` is ClaimEscrow's caller; ClaimEscrow checks who may act
///         before calling it and guards every call against reentrancy.
library Treasury {
    using SafeERC20 for IERC20;

    /// @notice The whole book, one storage struct of ClaimEscrow.
    /// @param liabilities What the escrow owes: free + reserved + credits + deposits + earmarks. Every amount
    ///        added or removed is at most a uint128, so uint248 cannot overflow.
    /// @param paused ClaimEscrow's pause flag, kept in the same slot: every payment reads the flag and
    ///        writes the total, so the second access is warm.
    /// @param earmarks What a patient set aside from its deposit for a provider, under one policy (the cap
    ///        of the provider's authorisation, funded): patient shares are drawn from it.
    /// @param owed What each insurer owes on claims settled Owed: its free funds beyond it only are
    ///        withdrawable, so a deposit made to pay owed claims cannot be taken back instead.
    struct Store {
        uint248 liabilities;
        bool paused;
        mapping(uint256 insurerOrg => IClaimEscrow.Escrow) escrows;
        mapping(uint256 insurerOrg => IClaimEscrow.Withdrawal) withdrawals;
        mapping(address payee => uint256) credits;
        mapping(uint256 patientId => uint256) deposits;
        mapping(uint256 policyId => mapping(uint256 providerOrg => uint256)) earmarks;
        mapping(uint256 insurerOrg => uint256) owed;
    }

    /// @notice Notice between requesting and executing an insurer withdrawal.
    uint64 internal constant WITHDRAWAL_NOTICE = 7 days;
    /// @notice How long a matured withdrawal stays executable. A constant, not a plan term: the escrow is
    ///         the insurer's, shared by all its plans, and providers watching a request need one rule to
    ///         know when it can hit. 3 days covers a weekend; a request then lapses, so the insurer cannot
    ///         hold a matured request for months and fire it in front of a large claim.
    uint64 internal constant WITHDRAWAL_WINDOW = 3 days;
    /// @notice Claim flag: the patient's due is still owed.
    uint8 internal constant FLAG_PATIENT_OWED = 4;

    /// @notice Pulls `amount` from the caller into `insurerOrg`'s free escrow.
    function depositEscrow(Store storage s, IERC20 token, uint256 insurerOrg, uint128 amount) external {
        _pull(token, amount);
        s.escrows[insurerOrg].free += amount;
        s.liabilities += uint248(amount);
        emit IClaimEscrow.EscrowDeposited(insurerOrg, msg.sender, amount);
    }

    /// @notice The organisation of the caller (ClaimEscrow's) if it may request, cancel and execute a
    ///         withdrawal: an operator of an active Insurer holding INSURE, or of a revoked Insurer.
    ///         Revocation is final, so without this a revoked insurer's free funds would be locked
    ///         forever; what it owes on claims and what is reserved for claims under review stay in escrow
    ///         (`executeWithdrawal`). A suspended or expired insurer waits: it may be reinstated or renewed.
    function withdrawingInsurer(IIdentityRegistry identity) external view returns (uint256 orgId) {
        (uint256 activeOrg, IIdentityRegistry.OrgKind kind, uint32 capabilities) = identity.activeRoleOf(msg.sender);
        if (activeOrg == 0) {
            orgId = identity.organizationOf(msg.sender);
            IIdentityRegistry.Organization memory org = identity.getOrganization(orgId);
            if (orgId != 0 && org.status == IIdentityRegistry.OrgStatus.Revoked) {
                if (org.kind == IIdentityRegistry.OrgKind.Insurer) return orgId;
                revert IClaimEscrow.ClaimsNotInsurer(msg.sender);
            }
            // Names a suspended or expired organisation and why; returns for an account with none.
            identity.requireActiveOrganization(msg.sender);
            revert IClaimEscrow.ClaimsNotInsurer(msg.sender);
        }
        if (kind != IIdentityRegistry.OrgKind.Insurer || capabilities & Capabilities.INSURE == 0) {
            revert IClaimEscrow.ClaimsNotInsurer(msg.sender);
        }
        return activeOrg;
    }

    /// @notice Records `insurerOrg`'s request to withdraw `amount` after the notice.
    function requestWithdrawal(Store storage s, uint256 insurerOrg, uint128 amount) external {
        if (amount == 0) revert IClaimEscrow.ClaimsZeroAmount();
        uint64 executableAt = uint64(block.timestamp) + WITHDRAWAL_NOTICE;
        s.withdrawals[insurerOrg] = IClaimEscrow.Withdrawal({amount: amount, executableAt: executableAt});
        emit IClaimEscrow.WithdrawalRequested(insurerOrg, amount, executableAt, executableAt + WITHDRAWAL_WINDOW);
    }

    /// @notice Drops `insurerOrg`'s pending withdrawal.
    function cancelWithdrawal(Store storage s, uint256 insurerOrg) external {
        if (s.withdrawals[insurerOrg].amount == 0) revert IClaimEscrow.ClaimsNoWithdrawalPending(insurerOrg);
        delete s.withdrawals[insurerOrg];
        emit IClaimEscrow.WithdrawalCancelled(insurerOrg);
    }

    /// @notice Pays `insurerOrg`'s due, unlapsed withdrawal to `to` from its free funds beyond what it owes.
    function executeWithdrawal(Store storage s, IERC20 token, uint256 insurerOrg, address to) external {
        if (to == address(0)) revert IClaimEscrow.ClaimsZeroAddress();
        IClaimEscrow.Withdrawal memory w = s.withdrawals[insurerOrg];
        if (w.amount == 0) revert IClaimEscrow.ClaimsNoWithdrawalPending(insurerOrg);
        if (block.timestamp < w.executableAt) revert IClaimEscrow.ClaimsWithdrawalNotReady(insurerOrg, w.executableAt);
        uint64 lapsesAt = w.executableAt + WITHDRAWAL_WINDOW;
        if (block.timestamp > lapsesAt) {
            revert IClaimEscrow.ClaimsWithdrawalLapsed(insurerOrg, w.executableAt, lapsesAt, block.timestamp);
        }
        IClaimEscrow.Escrow storage escrow = s.escrows[insurerOrg];
        uint256 free = escrow.free;
        if (free < w.amount) revert IClaimEscrow.ClaimsInsufficientEscrow(insurerOrg, free, w.amount);
        uint256 owed = s.owed[insurerOrg];
        if (free - w.amount < owed) revert IClaimEscrow.ClaimsWithdrawalTakesOwed(insurerOrg, free, owed, w.amount);
        delete s.withdrawals[insurerOrg];
        escrow.free -= w.amount;
        s.liabilities -= w.amount;
        emit IClaimEscrow.WithdrawalExecuted(insurerOrg, to, w.amount);
        token.safeTransfer(to, w.amount);
    }

    /// @notice Pulls `amount` from the caller into `patientId`'s deposit.
    function depositForPatient(Store storage s, IERC20 token, uint256 patientId, uint128 amount) external {
        _pull(token, amount);
        s.deposits[patientId] += amount;
        s.liabilities += uint248(amount);
        emit IClaimEscrow.PatientDeposited(patientId, msg.sender, amount);
    }

    /// @notice Pays `amount` of `patientId`'s deposit to `to`.
    function withdrawDeposit(Store storage s, IERC20 token, uint256 patientId, uint128 amount, address to) external {
        if (amount == 0) revert IClaimEscrow.ClaimsZeroAmount();
        if (to == address(0)) revert IClaimEscrow.ClaimsZeroAddress();
        uint256 balance = s.deposits[patientId];
        if (balance < amount) revert IClaimEscrow.ClaimsInsufficientDeposit(patientId, balance, amount);
        s.deposits[patientId] = balance - amount;
        s.liabilities -= uint248(amount);
        emit IClaimEscrow.PatientDepositWithdrawn(patientId, to, amount);
        token.safeTransfer(to, amount);
    }

    /// @notice Pays the caller's whole credit to `to`.
    function withdrawCredit(Store storage s, IERC20 token, address to) external {
        if (to == address(0)) revert IClaimEscrow.ClaimsZeroAddress();
        uint256 credit = s.credits[msg.sender];
        if (credit == 0) revert IClaimEscrow.ClaimsNoCredit(msg.sender);
        delete s.credits[msg.sender];
        s.liabilities -= uint248(credit);
        emit IClaimEscrow.CreditWithdrawn(msg.sender, to, credit);
        token.safeTransfer(to, credit);
    }

    /// @notice Sends the tokens held beyond the liabilities to `to`.
    function sweepSurplus(Store storage s, IERC20 token, address to) external {
        if (to == address(0)) revert IClaimEscrow.ClaimsZeroAddress();
        uint256 balance = token.balanceOf(address(this));
        if (balance <= s.liabilities) revert IClaimEscrow.ClaimsNoSurplus();
        uint256 amount = balance - s.liabilities;
        emit IClaimEscrow.SurplusSwept(to, amount);
        token.safeTransfer(to, amount);
    }

    /// @notice Pays owed claim `c`'s benefit from `insurerOrg`'s free escrow to `payout`.
    function payOwed(
        Store storage s,
        IERC20 token,
        IClaimEscrow.Claim storage c,
        bytes32 claimId,
        uint256 insurerOrg,
        address payout
    ) external {
        if (c.status != IClaimEscrow.ClaimStatus.Owed) {
            revert IClaimEscrow.ClaimsInvalidTransition(claimId, c.status, IClaimEscrow.ClaimStatus.Paid);
        }
        IClaimEscrow.Escrow storage escrow = s.escrows[insurerOrg];
        uint40 amount = c.benefit;
        if (escrow.free < amount) revert IClaimEscrow.ClaimsInsufficientEscrow(insurerOrg, escrow.free, amount);
        escrow.free -= amount;
        s.owed[insurerOrg] -= amount;
        c.status = IClaimEscrow.ClaimStatus.Paid;
        s.liabilities -= uint248(amount);
        emit IClaimEscrow.OwedBenefitPaid(claimId, amount);
        push(s, token, payout, amount);
    }

    /// @notice Collects claim `c`'s owed patient due from the patient's earmark for the provider under
    ///         `policyId`, and pays it to `payout`.
    function collectPatientShare(
        Store storage s,
        IERC20 token,
        IClaimEscrow.Claim storage c,
        bytes32 claimId,
        uint256 policyId,
        uint256 providerOrg,
        address payout
    ) external {
        if (c.flags & FLAG_PATIENT_OWED == 0) revert IClaimEscrow.ClaimsNoPatientShareOwed(claimId);
        uint256 due = uint256(c.patientShare) + c.notCovered;
        if (!drawPatient(s, policyId, providerOrg, due)) {
            revert IClaimEscrow.ClaimsPatientShareUnavailable(claimId, due);
        }
        c.flags &= ~FLAG_PATIENT_OWED;
        s.liabilities -= uint248(due);
        emit IClaimEscrow.PatientShareCollected(claimId, due);
        push(s, token, payout, due);
    }

    /// @notice Reverts unless `signature` is `signer`'s (EOA or ERC-1271) over `digest` and `deadline` has
    ///         not passed.
    function checkSignature(address signer, bytes32 digest, uint256 deadline, bytes calldata signature) external view {
        if (block.timestamp > deadline) revert IClaimEscrow.ClaimsExpiredSignature(deadline, block.timestamp);
        if (!SignatureChecker.isValidSignatureNow(signer, digest, signature)) {
            revert IClaimEscrow.ClaimsInvalidSignature(signer);
        }
    }

    /// @notice Pushes `amount` to `to`; a failed push becomes `to`'s credit (still a liability).
    function push(Store storage s, IERC20 token, address to, uint256 amount) internal {
        if (amount == 0) return;
        if (!token.trySafeTransfer(to, amount)) {
            s.credits[to] += amount;
            s.liabilities += uint248(amount);
            emit IClaimEscrow.PaymentCredited(to, amount);
        }
    }

    /// @notice Takes `due` from the earmark of (`policyId`, `providerOrg`), all or nothing.
    function drawPatient(Store storage s, uint256 policyId, uint256 providerOrg, uint256 due) internal returns (bool) {
        uint256 earmark = s.earmarks[policyId][providerOrg];
        if (earmark < due) return false;
        unchecked {
            s.earmarks[policyId][providerOrg] = earmark - due; // just compared
        }
        return true;
    }

    /// @notice Sets the earmark of (`policyId`, `providerOrg`) to `cap`, moving the difference between it and
    ///         `patientId`'s deposit.
    function setEarmark(
        Store storage s,
        uint256 patientId,
        uint256 policyId,
        uint256 providerOrg,
        uint128 cap
    ) external {
        uint256 current = s.earmarks[policyId][providerOrg];
        uint256 balance = s.deposits[patientId];
        if (cap > current) {
            uint256 needed = cap - current;
            if (balance < needed) revert IClaimEscrow.ClaimsInsufficientDeposit(patientId, balance, needed);
            s.deposits[patientId] = balance - needed;
        } else {
            s.deposits[patientId] = balance + (current - cap);
        }
        s.earmarks[policyId][providerOrg] = cap;
        emit IClaimEscrow.ProviderAuthorized(policyId, providerOrg, cap);
    }

    /// @dev Pulls `amount` from the caller, refusing tokens that deliver less (fee on transfer).
    function _pull(IERC20 token, uint256 amount) private {
        if (amount == 0) revert IClaimEscrow.ClaimsZeroAmount();
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert IClaimEscrow.ClaimsFeeOnTransfer(amount, received);
    }
}
