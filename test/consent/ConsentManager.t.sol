// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ConsentBase} from "./ConsentBase.sol";
import {ConsentManager} from "../../contracts/consent/ConsentManager.sol";
import {IConsentManager} from "../../contracts/interfaces/IConsentManager.sol";
import {IIdentityRegistry} from "../../contracts/interfaces/IIdentityRegistry.sol";
import {Scopes} from "../../contracts/libraries/Scopes.sol";

/// @notice An identity registry that is down: every call reverts with `RegistryDown`.
contract RevertingIdentity {
    error RegistryDown();

    fallback() external {
        revert RegistryDown();
    }
}

contract ConsentManagerTest is ConsentBase {
    // ---------------------------------------------------------------- scope / action / purpose / deny algebra

    function testFuzz_hasAccessIsTheAlgebraOfGrantAndDenyMask(
        uint32 scopes,
        uint8 actions,
        uint8 purposes,
        uint32 asked,
        uint8 action,
        uint8 purpose,
        uint32 deny
    ) public {
        scopes = uint32(bound(scopes, 1, Scopes.ALL_CATEGORIES));
        actions = uint8(bound(actions, 1, Scopes.ALL_ACTIONS));
        purposes = uint8(bound(purposes, 1, Scopes.ALL_PURPOSES));
        deny &= Scopes.ALL_CATEGORIES;
        _grant(hospital, scopes, actions, purposes, 0, uint64(block.timestamp + 1 days));
        vm.prank(patient);
        consent.setDenyMask(patientId, deny, 0);

        bool expected = asked != 0 &&
            asked & scopes == asked &&
            action != 0 &&
            action & actions == action &&
            purpose != 0 &&
            purpose & purposes == purpose &&
            asked & deny == 0;
        assertEq(consent.hasAccess(patientId, hospital, asked, action, purpose), expected, "algebra");
    }

    function testFuzz_grantRefusesEmptyOrUnknownBits(uint32 scopes, uint8 actions, uint8 purposes) public {
        bool valid = Scopes.isValid(scopes, Scopes.ALL_CATEGORIES) &&
            Scopes.isValid(actions, Scopes.ALL_ACTIONS) &&
            Scopes.isValid(purposes, Scopes.ALL_PURPOSES);
        vm.assume(!valid);
        vm.expectRevert(
            abi.encodeWithSelector(IConsentManager.ConsentInvalidGrant.selector, scopes, actions, purposes)
        );
        _grant(hospital, scopes, actions, purposes, 0, uint64(block.timestamp + 1 days));
    }

    function testFuzz_redactHidesWhichRestrictedCategory(uint32 mask) public pure {
        uint32 shown = Scopes.redact(mask);
        assertEq(shown & ~Scopes.RESTRICTED, mask & ~Scopes.RESTRICTED, "non-restricted bits kept");
        uint32 group = mask & Scopes.RESTRICTED == 0 ? 0 : Scopes.RESTRICTED;
        assertEq(shown & Scopes.RESTRICTED, group, "restricted group whole or absent");
    }

    // ---------------------------------------------------------------- time windows

    function testFuzz_accessHoldsExactlyInsideTheWindow(uint64 startIn, uint64 length, uint64 probe) public {
        startIn = uint64(bound(startIn, 0, 365 days));
        length = uint64(bound(length, 1, 365 days));
        probe = uint64(bound(probe, 0, 800 days));
        uint64 notBefore = uint64(block.timestamp) + startIn;
        uint64 expiresAt = notBefore + length;
        _grant(hospital, Scopes.CONDITIONS, Scopes.READ, Scopes.TREATMENT, notBefore, expiresAt);
        vm.warp(block.timestamp + probe);
        bool inside = notBefore <= block.timestamp && block.timestamp < expiresAt;
        assertEq(
            consent.hasAccess(patientId, hospital, Scopes.CONDITIONS, Scopes.READ, Scopes.TREATMENT),
            inside,
            "window"
        );
    }

    function testFuzz_emergencyWindowLasts(uint64 window, uint64 probe) public {
        window = uint64(bound(window, 1 hours, 72 hours));
        probe = uint64(bound(probe, 0, 100 hours));
        consent.setEmergencyParameters(window, 20);
        vm.prank(doctor);
        consent.openEmergencyAccess(patientId, Scopes.READ, keccak256("reason"));
        vm.warp(block.timestamp + probe);
        assertEq(consent.hasEmergencyAccess(patientId, hospital, Scopes.CONDITIONS), probe < window, "window");
        assertEq(consent.isOverdue(1), probe > 72 hours, "overdue");
    }

    function testFuzz_dailyCapHoldsInAnyDay(uint8 cap, uint16 gap) public {
        cap = uint8(bound(cap, 1, 8));
        gap = uint16(bound(gap, 60, 6 hours));
        consent.setEmergencyParameters(1 hours, cap);
        uint256 opened;
        uint256[] memory times = new uint256[](24);
        for (uint256 i = 0; i < 24; i++) {
            uint256 pid = uint256(keccak256(abi.encode("p", i))) | 1;
            _registerPatient(vm.addr(uint256(keccak256(abi.encode("k", i)))), pid);
            vm.prank(doctor);
            try consent.openEmergencyAccess(pid, Scopes.READ, bytes32(i)) {
                times[opened++] = block.timestamp;
            } catch {}
            vm.warp(block.timestamp + gap);
        }
        assertGt(opened, 0, "some opened");
        // No 24 h span holds more than `cap` openings.
        for (uint256 i = 0; i + cap < opened; i++) {
            assertGe(times[i + cap], times[i] + 1 days, "cap per 24 h");
        }
    }

    // ---------------------------------------------------------------- signatures

    function testFuzz_grantWithSigRefusesAnyOtherNonce(uint256 nonce) public {
        vm.assume(nonce != 0);
        IConsentManager.Grant memory terms = IConsentManager.Grant(
            Scopes.CONDITIONS,
            Scopes.READ,
            Scopes.TREATMENT,
            0,
            uint64(block.timestamp + 1 days)
        );
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signConsent(
            keccak256(
                abi.encode(
                    consent.GRANT_TYPEHASH(),
                    patientId,
                    hospital,
                    terms.scopes,
                    terms.actions,
                    terms.purposes,
                    terms.notBefore,
                    terms.expiresAt,
                    nonce,
                    deadline
                )
            )
        );
        vm.expectRevert(abi.encodeWithSelector(IConsentManager.ConsentInvalidNonce.selector, patientId, nonce, 0));
        consent.grantWithSig(patientId, hospital, terms, patient, nonce, deadline, sig);
    }

    // ---------------------------------------------------------------- the registry call

    function test_RevertWhen_theRegistryCallFails_itsRevertIsBubbledUp() public {
        RevertingIdentity down = new RevertingIdentity();
        ConsentManager orphan = new ConsentManager(address(manager), IIdentityRegistry(address(down)), records);
        vm.expectRevert(RevertingIdentity.RegistryDown.selector);
        vm.prank(patient);
        orphan.grant(patientId, hospital, Scopes.CONDITIONS, Scopes.READ, Scopes.TREATMENT, 0, 2 ** 40);
        vm.expectRevert(RevertingIdentity.RegistryDown.selector);
        vm.prank(patient);
        orphan.revoke(patientId, hospital);
    }

    function testFuzz_revokeClearsTheWholeGrant(uint32 scopes, uint8 actions, uint8 purposes, uint64 notBefore) public {
        scopes = uint32(bound(scopes, 1, Scopes.ALL_CATEGORIES));
        actions = uint8(bound(actions, 1, Scopes.ALL_ACTIONS));
        purposes = uint8(bound(purposes, 1, Scopes.ALL_PURPOSES));
        notBefore = uint64(bound(notBefore, 0, block.timestamp + 365 days));
        uint64 expiresAt = uint64(block.timestamp + 400 days);
        _grant(hospital, scopes, actions, purposes, notBefore, expiresAt);
        IConsentManager.Grant memory held = consent.getGrant(patientId, hospital);
        assertEq(
            abi.encode(held),
            abi.encode(IConsentManager.Grant(scopes, actions, purposes, notBefore, expiresAt)),
            "stored as granted"
        );
        vm.prank(patient);
        consent.revoke(patientId, hospital);
        assertEq(
            abi.encode(consent.getGrant(patientId, hospital)),
            abi.encode(IConsentManager.Grant(0, 0, 0, 0, 0)),
            "cleared"
        );
        assertFalse(consent.hasAccess(patientId, hospital, scopes, actions, purposes), "no access");
        vm.expectRevert(abi.encodeWithSelector(IConsentManager.ConsentNoGrant.selector, patientId, hospital));
        vm.prank(patient);
        consent.revoke(patientId, hospital);
    }

    function test_grantWithSig_acceptsTheCurrentNonce() public {
        IConsentManager.Grant memory terms = IConsentManager.Grant(
            Scopes.CONDITIONS,
            Scopes.READ,
            Scopes.TREATMENT,
            0,
            uint64(block.timestamp + 1 days)
        );
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signConsent(
            keccak256(
                abi.encode(
                    consent.GRANT_TYPEHASH(),
                    patientId,
                    hospital,
                    terms.scopes,
                    terms.actions,
                    terms.purposes,
                    terms.notBefore,
                    terms.expiresAt,
                    uint256(0),
                    deadline
                )
            )
        );
        consent.grantWithSig(patientId, hospital, terms, patient, 0, deadline, sig);
        assertEq(consent.nonces(patientId), 1, "nonce used");
        assertTrue(consent.hasAccess(patientId, hospital, Scopes.CONDITIONS, Scopes.READ, Scopes.TREATMENT), "granted");
    }
}
