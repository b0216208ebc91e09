// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {ConsentBase} from "./ConsentBase.sol";
import {Scopes} from "../../contracts/libraries/Scopes.sol";

/// @notice Issue #12 point 9 as a property: while paused, a policy change that passes never lets any
///         category be shared (by grant or by break-glass) that was not before; the plain restrictions
///         (adding denied categories, opting out) always pass.
contract DenyWhilePausedTest is ConsentBase {
    uint8 internal constant OPT_OUT = 1;
    uint8 internal constant OVERRIDES = 2;

    function _emergencyAllows(uint32 mask, uint8 policy, uint32 bit) internal pure returns (bool) {
        return policy & OPT_OUT == 0 && (policy & OVERRIDES != 0 || mask & bit == 0);
    }

    function testFuzz_aPausedPolicyChangeNeverWidens(
        uint32 oldMask,
        uint8 oldPolicy,
        uint32 mask,
        uint8 policy
    ) public {
        oldMask &= Scopes.ALL_CATEGORIES;
        mask &= Scopes.ALL_CATEGORIES;
        oldPolicy %= 4;
        policy %= 4;
        vm.prank(patient);
        consent.setDenyMask(patientId, oldMask, oldPolicy);
        consent.pause();
        uint256 nonce = consent.nonces(patientId);
        vm.prank(patient);
        try consent.setDenyMask(patientId, mask, policy) {
            for (uint256 i = 0; i < Scopes.CATEGORY_COUNT; ++i) {
                uint32 bit = uint32(1 << i);
                if (oldMask & bit != 0) assertTrue(mask & bit != 0, "a denied category stays denied");
                if (_emergencyAllows(mask, policy, bit)) {
                    assertTrue(_emergencyAllows(oldMask, oldPolicy, bit), "no new break-glass reach");
                }
            }
            assertEq(consent.nonces(patientId), nonce + 1, "nonce consumed");
        } catch (bytes memory reason) {
            assertEq(bytes4(reason), Pausable.EnforcedPause.selector, "refused as paused");
            (uint32 held, uint8 heldPolicy) = consent.policyOf(patientId);
            assertEq(held, oldMask, "mask unchanged");
            assertEq(heldPolicy, oldPolicy, "policy unchanged");
            assertEq(consent.nonces(patientId), nonce, "nonce unchanged");
        }
    }

    function testFuzz_addingDeniedCategoriesOrOptingOutPassesWhilePaused(
        uint32 oldMask,
        uint8 oldPolicy,
        uint32 more,
        bool optOut
    ) public {
        oldMask &= Scopes.ALL_CATEGORIES;
        oldPolicy %= 4;
        uint32 mask = oldMask | (more & Scopes.ALL_CATEGORIES);
        uint8 policy = optOut ? oldPolicy | OPT_OUT : oldPolicy;
        vm.prank(patient);
        consent.setDenyMask(patientId, oldMask, oldPolicy);
        consent.pause();
        vm.prank(patient);
        consent.setDenyMask(patientId, mask, policy);
        (uint32 held, uint8 heldPolicy) = consent.policyOf(patientId);
        assertEq(held, mask, "mask set");
        assertEq(heldPolicy, policy, "policy set");
    }
}
