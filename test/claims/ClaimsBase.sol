// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {ClaimEscrow} from "../../contracts/claims/ClaimEscrow.sol";
import {IClaimEscrow} from "../../contracts/interfaces/IClaimEscrow.sol";
import {IClaimsConsent} from "../../contracts/interfaces/IClaimsConsent.sol";
import {IClaimsRecords} from "../../contracts/interfaces/IClaimsRecords.sol";
import {IIdentityRegistry} from "../../contracts/interfaces/IIdentityRegistry.sol";
import {Capabilities} from "../../contracts/libraries/Capabilities.sol";
import {MockClaimsConsent} from "../../contracts/mocks/MockClaimsConsent.sol";
import {MockClaimsIdentity} from "../../contracts/mocks/MockClaimsIdentity.sol";
import {MockClaimsRecords} from "../../contracts/mocks/MockClaimsRecords.sol";
import {TestStablecoin} from "../../contracts/mocks/TestStablecoin.sol";
import {Test} from "../utils/Test.sol";

/// @notice A ClaimEscrow over stand-ins: insurer org 1 (`insurer`), provider org 2 (`provider`, paid to
///         `payout`), patient `PATIENT` (controller `patient`) under policy 1 of plan 1 (code `CODE`: 80%,
///         cap 5,000; deductible 500, OOP max 3,000, annual limit 20,000, threshold 1,000), escrow funded.
abstract contract ClaimsBase is Test {
    uint256 internal constant USD = 1e6;
    uint256 internal constant INSURER_ORG = 1;
    uint256 internal constant PROVIDER_ORG = 2;
    uint256 internal constant PATIENT = uint256(keccak256("patient"));
    bytes32 internal constant CODE = keccak256("code A");
    bytes32 internal constant RECORD = keccak256("record");

    address internal insurer = address(0x1A);
    address internal provider = address(0x2B);
    address internal payout = address(0x3C);
    address internal patient = address(0x4D);

    AccessManager internal manager;
    TestStablecoin internal token;
    MockClaimsIdentity internal identity;
    MockClaimsConsent internal consent;
    MockClaimsRecords internal records;
    ClaimEscrow internal escrow;
    uint256 internal policyId;

    function _deploy(address admin) internal {
        manager = new AccessManager(admin);
        token = new TestStablecoin();
        identity = new MockClaimsIdentity();
        consent = new MockClaimsConsent();
        records = new MockClaimsRecords();
        escrow = new ClaimEscrow(
            address(manager),
            IIdentityRegistry(address(identity)),
            IClaimsConsent(address(consent)),
            IClaimsRecords(address(records)),
            IERC20(address(token))
        );
        identity.setOrganization(insurer, INSURER_ORG, IIdentityRegistry.OrgKind.Insurer, Capabilities.INSURE);
        identity.setOrganization(provider, PROVIDER_ORG, IIdentityRegistry.OrgKind.Provider, Capabilities.BILL);
        identity.setPatient(PATIENT, patient);
        consent.setAccess(PATIENT, INSURER_ORG, true);
        records.setRecord(RECORD, PATIENT, uint64(PROVIDER_ORG), 0, true);
        vm.warp(400 days);

        bytes32[] memory codes = new bytes32[](1);
        codes[0] = CODE;
        IClaimEscrow.CodeRule[] memory rules = new IClaimEscrow.CodeRule[](1);
        rules[0] = _codeRule();
        vm.prank(insurer);
        uint256 planId = escrow.createPlan(_terms(), codes, rules);
        vm.prank(insurer);
        policyId = escrow.bindPolicy(
            planId,
            PATIENT,
            uint40(block.timestamp - 30 days),
            uint40(block.timestamp + 300 days)
        );
        vm.prank(provider);
        escrow.setPayoutAddress(payout);
        _fund(insurer, 1_000_000 * USD);
    }

    function _fund(address who, uint256 amount) internal {
        token.mint(who, amount);
        vm.prank(who);
        token.approve(address(escrow), amount);
        vm.prank(who);
        escrow.deposit(uint128(amount));
    }

    function _submit(uint40 amount, bytes32 lineRef) internal returns (bytes32 claimId) {
        vm.prank(provider);
        claimId = escrow.submitClaim(policyId, CODE, lineRef, amount, uint64(block.timestamp - 1 days), RECORD);
    }

    function _terms() internal pure returns (IClaimEscrow.PlanTerms memory) {
        return
            IClaimEscrow.PlanTerms({
                deductible: uint48(500 * USD),
                outOfPocketMax: uint48(3_000 * USD),
                annualLimit: uint48(20_000 * USD),
                autoApproveThreshold: uint48(1_000 * USD),
                reviewWindow: 14 days,
                timelyFilingWindow: 90 days
            });
    }

    function _codeRule() internal pure returns (IClaimEscrow.CodeRule memory) {
        return
            IClaimEscrow.CodeRule({
                rateBps: 8_000,
                cap: uint48(5_000 * USD),
                copay: 0,
                preauthRequired: false,
                covered: true
            });
    }
}
